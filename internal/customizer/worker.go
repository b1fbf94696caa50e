package customizer

import (
	"bufio"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"
)

// WorkerEnv is the environment variable that turns the gatehouse binary
// into a customizer worker; its value is the worker's memory allowance in
// bytes. The Engine sets it when it starts a worker: it is not a setting.
const WorkerEnv = "GATEHOUSE_CUSTOMIZER_WORKER"

// MainIfWorker runs a customizer worker and exits the process when the
// environment asks for one (WorkerEnv); otherwise it returns at once. The
// gatehouse binary calls it first thing, and so must the TestMain of every
// package whose tests run scripts (the test binary is the worker there).
func MainIfWorker() {
	v := os.Getenv(WorkerEnv)
	if v == "" {
		return
	}
	mem, err := strconv.ParseInt(v, 10, 64)
	if err != nil || mem <= 0 {
		os.Stderr.WriteString("customizer worker: bad " + WorkerEnv + "\n")
		os.Exit(2)
	}
	in, err := newPipeIO(pollable(0, "stdin"))
	if err == nil {
		var out io.ReadWriter
		if out, err = newPipeIO(pollable(1, "stdout")); err == nil {
			os.Exit(serveWorker(mem, in, out))
		}
	}
	os.Stderr.WriteString("customizer worker: " + err.Error() + "\n")
	os.Exit(2)
}

// serveWorker answers requests from in on out until in closes. A call
// past its time, memory or stack is not this loop's concern: the parent
// kills the process.
func serveWorker(mem int64, in io.Reader, out io.Writer) int {
	// One thread runs scripts; a stack beyond 64 MB is a crash, not growth.
	runtime.GOMAXPROCS(1)
	debug.SetMaxStack(64 << 20)
	debug.SetMemoryLimit(mem)
	// The live heap is small (one runtime) and the memory limit bounds it
	// anyway: collect less often than the default.
	debug.SetGCPercent(400)
	if err := limitMemory(mem); err != nil {
		os.Stderr.WriteString("customizer worker: " + err.Error() + "\n")
		return 2
	}
	v, err := newRunner()
	if err != nil {
		os.Stderr.WriteString("customizer worker: " + err.Error() + "\n")
		return 2
	}
	r := bufio.NewReaderSize(in, 64<<10)
	var src string
	var buf, wbuf []byte
	resp := make([]byte, 0, 1024)
	for {
		buf, err = readFrame(r, buf)
		if err != nil {
			return 0 // the parent closed the pipe, or went away
		}
		req, err := decodeRequest(buf)
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			return 2
		}
		timeout := time.Duration(req.timeout) * time.Millisecond
		if len(req.src) > 0 {
			src = string(req.src)
			v.load(req.id, src, timeout)
		}
		claims, cerr, reusable := v.call(string(req.input), timeout)
		resp = resp[:0]
		switch e := cerr.(type) {
		case nil:
			resp = append(append(resp, statusOK), claims...)
		case *Denied:
			resp = append(append(resp, statusDenied), e.Message...)
		case *Error:
			resp = appendFailure(resp, e)
		default:
			resp = appendFailure(resp, &Error{Kind: KindRuntime, Message: e.Error(), Detail: e.Error()})
		}
		if len(resp) > maxFrame {
			resp = appendFailure(resp[:0], &Error{Kind: KindType, Message: "The script return value is too large."})
		}
		if wbuf, err = writeFrame(out, wbuf, resp); err != nil {
			return 0
		}
		if !reusable {
			if v, err = newRunner(); err != nil {
				os.Stderr.WriteString("customizer worker: " + err.Error() + "\n")
				return 2
			}
			v.load(req.id, src, timeout)
		}
	}
}
