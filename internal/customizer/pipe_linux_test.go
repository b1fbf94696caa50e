package customizer

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"testing"
)

// TestPipeIO moves a frame far larger than a pipe's buffer (so that the
// writer meets EAGAIN and waits in the poller, and the reader waits for
// data) through pipeIO both ways, then checks end of file and a write to
// a pipe whose reader is gone.
func TestPipeIO(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	pr, err := newPipeIO(r)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := newPipeIO(w)
	if err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 1<<20)
	rand.Read(body)
	done := make(chan error, 1)
	go func() {
		_, err := writeFrame(pw, nil, body[:100], body[100:])
		done <- err
	}()
	got, err := readFrame(pr, nil)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	if err := <-done; err != nil {
		t.Fatalf("write: %v", err)
	}
	if n, err := pw.Write(nil); n != 0 || err != nil {
		t.Fatalf("empty write: %d %v", n, err)
	}
	w.Close()
	if _, err := pr.Read(make([]byte, 8)); !errors.Is(err, io.EOF) {
		t.Fatalf("read after the writer closed: %v, want EOF", err)
	}

	r2, w2, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	pw2, _ := newPipeIO(w2)
	r2.Close()
	if _, err := pw2.Write([]byte("x")); err == nil {
		t.Fatal("a write with no reader succeeded")
	}
}
