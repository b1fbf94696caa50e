package customizer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// grace is how long past its wall clock a worker may take to answer
// before it is killed: the worker interrupts a script at the wall clock
// itself, and answers at once unless the script is inside a built-in.
const grace = 100 * time.Millisecond

// worker is one worker process, owned by one caller at a time.
type worker struct {
	cmd    *exec.Cmd
	inF    *os.File      // the worker's stdin
	in     io.Writer     // inF, written with raw system calls (pipeIO)
	out    *bufio.Reader // the worker's stdout, read the same way
	outF   *os.File
	stderr *headBuffer
	script uint64 // the script the worker has loaded
	wbuf   []byte
	rbuf   []byte
	head   []byte

	mu     sync.Mutex
	killed bool // by the wall clock
}

// pool keeps up to n workers. A slot is taken for every live or starting
// worker; idle ones wait in idle.
type pool struct {
	e     *Engine
	idle  chan *worker
	slots chan struct{}

	mu     sync.Mutex
	closed bool
	all    map[*worker]struct{}
}

func newPool(e *Engine, n int) *pool {
	return &pool{e: e, idle: make(chan *worker, n), slots: make(chan struct{}, n), all: map[*worker]struct{}{}}
}

// errClosed is a run after Close.
var errClosed = errors.New("customizer: engine closed")

// acquire returns an idle worker, or starts one when a slot is free, by
// the deadline.
func (p *pool) acquire(deadline *time.Timer) (*worker, error) {
	select {
	case w := <-p.idle:
		return w, nil
	default:
	}
	select {
	case w := <-p.idle:
		return w, nil
	case p.slots <- struct{}{}:
		w, err := p.start()
		if err != nil {
			<-p.slots
			return nil, err
		}
		return w, nil
	case <-deadline.C:
		return nil, nil
	}
}

// release gives w back, or retires it when it is dead or the pool closed.
func (p *pool) release(w *worker, healthy bool) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if healthy && !closed {
		p.idle <- w
		return
	}
	p.retire(w)
}

// retire kills w (when it is not dead already), reaps it and frees its slot.
func (p *pool) retire(w *worker) {
	w.kill()
	w.inF.Close()
	w.cmd.Wait()
	w.outF.Close()
	p.mu.Lock()
	delete(p.all, w)
	p.mu.Unlock()
	<-p.slots
}

// start starts a worker process: the server's own binary with WorkerEnv.
func (p *pool) start() (*worker, error) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return nil, errClosed
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("customizer: start worker: %w", err)
	}
	// Both ends the server keeps are read and written through the
	// runtime's network poller (os.Pipe): a caller waiting for its answer
	// parks its goroutine, its thread runs other requests or sleeps in
	// epoll_wait, and no thread sits in read(2) for the scheduler to work
	// around. (Measured against a blocking read(2) on the answer pipe,
	// docs/operations.md "JWT customizer cost": fewer context switches per
	// customized token.)
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, fmt.Errorf("customizer: start worker: %w", err)
	}
	cmd := exec.Command(p.e.exe)
	cmd.Env = append(workerEnv(), WorkerEnv+"="+strconv.FormatInt(p.e.memory, 10), "GOMAXPROCS=1")
	cmd.Stdin, cmd.Stdout = inR, outW
	tail := &headBuffer{}
	cmd.Stderr = tail
	workerAttr(cmd)
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("customizer: start worker: %w", err)
	}
	in, err := newPipeIO(inW)
	var out io.ReadWriter
	if err == nil {
		out, err = newPipeIO(outR)
	}
	if err != nil {
		cmd.Process.Kill()
		inW.Close()
		cmd.Wait()
		outR.Close()
		return nil, fmt.Errorf("customizer: start worker: %w", err)
	}
	w := &worker{cmd: cmd, inF: inW, in: in, outF: outR, out: bufio.NewReaderSize(out, 64<<10), stderr: tail}
	p.mu.Lock()
	p.all[w] = struct{}{}
	p.mu.Unlock()
	return w, nil
}

// workerEnv is the environment a worker gets: the server's, without its
// secrets' names (GATEHOUSE_*), which a worker has no use for.
func workerEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GATEHOUSE_") && !strings.HasPrefix(kv, "GOMAXPROCS=") {
			env = append(env, kv)
		}
	}
	return env
}

// close kills every worker; runs in flight fail.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	all := make([]*worker, 0, len(p.all))
	for w := range p.all {
		all = append(all, w)
	}
	p.mu.Unlock()
	for _, w := range all {
		w.kill()
	}
	for {
		select {
		case w := <-p.idle:
			p.retire(w)
		default:
			return
		}
	}
}

// kill sends SIGKILL; the pipes then report the end. Killing a process
// that is gone already does nothing.
func (w *worker) kill() { w.cmd.Process.Kill() }

// timedKill kills w for running past its time.
func (w *worker) timedKill() {
	w.mu.Lock()
	w.killed = true
	w.mu.Unlock()
	w.kill()
}

func (w *worker) wasKilled() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.killed
}

// headBuffer keeps the first 2 KB a worker wrote to stderr: the Go
// runtime's reason when it ended the process comes first, then the stacks.
type headBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *headBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if room := 2048 - len(t.b); room > 0 {
		t.b = append(t.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (t *headBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
