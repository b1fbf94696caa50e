package app

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certFiles serves the certificate in a PEM pair of files and picks up a
// new one written over them (a renewal by certbot, cert-manager or a
// secret mount's symlink swap) at the next handshake, without a restart.
//
// Each handshake stats the two files (a few microseconds, against the
// hundreds a handshake's key exchange costs) and reloads them when either
// changed. File times have a coarse granularity (a few milliseconds), so
// while the loaded files are younger than a second, a handshake also
// compares their contents. A pair that does not load, such as a
// certificate already replaced whose key is not yet, keeps the previous
// certificate in use and is tried again when the files change; the
// failure is logged once per change.
type certFiles struct {
	certFile, keyFile string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	pem     [2][]byte    // the loaded files' contents
	stamp   [2]fileStamp // of the files the certificate was loaded from
	young   bool         // the loaded files were modified within a second of their load: compare contents
	badSeen [2][]byte    // the contents that last failed to load
}

// fileStamp identifies a version of a file.
type fileStamp struct {
	mod  time.Time
	size int64
	file os.FileInfo
}

func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{fi.ModTime(), fi.Size(), fi}, nil
}

func (a fileStamp) same(b fileStamp) bool {
	return a.file != nil && b.file != nil && a.mod.Equal(b.mod) && a.size == b.size && os.SameFile(a.file, b.file)
}

// newCertFiles loads the pair once; it fails when it does not load.
func newCertFiles(certFile, keyFile string, log *slog.Logger) (*certFiles, error) {
	c := &certFiles{certFile: certFile, keyFile: keyFile, log: log}
	if _, err := c.get(); err != nil {
		return nil, err
	}
	return c, nil
}

// get returns the certificate, reloading it first when the files changed.
func (c *certFiles) get() (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs, cerr := stampOf(c.certFile)
	ks, kerr := stampOf(c.keyFile)
	if c.cert != nil && cerr == nil && kerr == nil && cs.same(c.stamp[0]) && ks.same(c.stamp[1]) && !c.young {
		return c.cert, nil
	}
	cb, cerr := os.ReadFile(c.certFile)
	kb, kerr := os.ReadFile(c.keyFile)
	if c.cert != nil && (cerr != nil || kerr != nil) {
		return c.cert, nil // mid-swap; the files will be back
	}
	if c.cert != nil && bytes.Equal(cb, c.pem[0]) && bytes.Equal(kb, c.pem[1]) {
		c.stamp = [2]fileStamp{cs, ks}
		c.young = time.Since(laterOf(cs.mod, ks.mod)) < time.Second
		return c.cert, nil
	}
	if c.cert != nil && bytes.Equal(cb, c.badSeen[0]) && bytes.Equal(kb, c.badSeen[1]) {
		return c.cert, nil // known bad: keep the old one until the files change again
	}
	cert, err := tls.X509KeyPair(cb, kb)
	if cerr != nil || kerr != nil {
		err = errors.Join(cerr, kerr)
	}
	if err != nil {
		if c.cert == nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		c.badSeen = [2][]byte{cb, kb}
		c.log.Error("tls: the certificate files changed but do not load; serving the previous certificate", "cert", c.certFile, "key", c.keyFile, "err", err)
		return c.cert, nil
	}
	if c.cert != nil {
		c.log.Info("tls: certificate reloaded", "cert", c.certFile)
	}
	c.cert, c.pem, c.stamp, c.badSeen = &cert, [2][]byte{cb, kb}, [2]fileStamp{cs, ks}, [2][]byte{}
	c.young = time.Since(laterOf(cs.mod, ks.mod)) < time.Second
	return c.cert, nil
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// tlsConfig is the public listener's TLS configuration: TLS 1.2 or later,
// with TLS 1.2 limited to ECDHE key exchange and AEAD ciphers (forward
// secrecy, no CBC; TLS 1.3's suites are all of that kind), HTTP/2 offered
// first, the certificate from the files.
func tlsConfig(certFile, keyFile string, log *slog.Logger) (*tls.Config, error) {
	cf, err := newCertFiles(certFile, keyFile, log)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		NextProtos: []string{"h2", "http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return cf.get()
		},
	}, nil
}
