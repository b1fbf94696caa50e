package protect

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// CodeInvalidDPoPProof is RFC 9449 §7.1's error code for a DPoP proof the
// API does not accept.
const CodeInvalidDPoPProof = "invalid_dpop_proof"

// The causes of the DPoP failures, for errors.Is.
var (
	ErrDPoPProof = errors.New("invalid DPoP proof")                    // the proof fails a check of RFC 9449 §4.3
	ErrDPoPBound = errors.New("DPoP-bound token used as bearer token") // a token with cnf.jkt came without its proof
	ErrNotBound  = errors.New("token is not DPoP-bound")               // Authorization: DPoP with a bearer token, or a bearer token where DPoP is required
)

// Defaults of the DPoP options.
const (
	DefaultDPoPWindow      = 60 * time.Second // a proof's iat may differ this much from the clock
	DefaultDPoPReplayLimit = 1 << 18          // proofs remembered per generation (about 10 MiB at most)
)

// dpopAlgs is the proof signature allow-list: asymmetric algorithms only.
var dpopAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.EdDSA, jose.RS256, jose.PS256}

// dpopAlgsAttr is the algs attribute of the DPoP challenge (RFC 9449 §7.1).
const dpopAlgsAttr = "ES256 ES384 EdDSA RS256 PS256"

// maxProof bounds the DPoP header; an RSA-4096 key and the claims fit in 2 KiB.
const maxProof = 8 << 10

// dpopOptions are the DPoP settings of a Validator.
type dpopOptions struct {
	publicURL string // scheme://host[:port][/prefix], no trailing slash; "" uses the request
	window    time.Duration
	limit     int
	required  bool
}

func (o dpopOptions) windowOrDefault() time.Duration {
	if o.window == 0 {
		return DefaultDPoPWindow
	}
	return o.window
}

func (o dpopOptions) limitOrDefault() int {
	if o.limit == 0 {
		return DefaultDPoPReplayLimit
	}
	return o.limit
}

// dpopState is a Validator's replay cache, made at its first DPoP request.
type dpopState struct {
	once   sync.Once
	replay *replayCache
	keys   proofKeys // checked proof headers
}

// WithPublicURL sets the API's public base URL, as clients call it
// (https://api.example.com, or with a path prefix a proxy strips). DPoP
// proofs name the URL they were made for (htu); behind a proxy or load
// balancer the request alone does not tell it. Without this option the URL
// is taken from the request: https when it came over TLS, else http, and
// its Host header.
func WithPublicURL(base string) Option {
	return func(c *config) {
		if err := checkURL(base); err != nil {
			c.fail("WithPublicURL: %v", err)
			return
		}
		c.dpop.publicURL = strings.TrimRight(base, "/")
	}
}

// WithDPoPWindow sets how far a DPoP proof's iat may lie from the clock,
// either way ([DefaultDPoPWindow]). Proofs are remembered for twice as
// long, to refuse replays.
func WithDPoPWindow(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 || d > 10*time.Minute {
			c.fail("WithDPoPWindow: %v is outside (0, 10m]", d)
			return
		}
		c.dpop.window = d
	}
}

// WithDPoPReplayLimit bounds the replay cache ([DefaultDPoPReplayLimit]
// proofs in each of its two generations, each lasting twice the window).
// When it is full, proofs are refused until the older generation expires,
// rather than forgotten: size it above the API's DPoP requests per
// 2 × window.
func WithDPoPReplayLimit(n int) Option {
	return func(c *config) {
		if n <= 0 {
			c.fail("WithDPoPReplayLimit: %d is not positive", n)
			return
		}
		c.dpop.limit = n
	}
}

// WithDPoPRequired refuses bearer tokens: every request must present a
// DPoP-bound token with its proof.
func WithDPoPRequired() Option { return func(c *config) { c.dpop.required = true } }

// JKT returns the thumbprint a DPoP-bound token is bound to (cnf.jkt,
// RFC 9449 §6.1), or "" for a bearer token.
func (c *Claims) JKT() string {
	cnf, _ := c.Raw["cnf"].(map[string]any)
	jkt, _ := cnf["jkt"].(string)
	return jkt
}

// bound reports whether the token carries a DPoP binding, well formed or
// not: a token whose cnf.jkt is not a string must not pass as a bearer
// token either.
func (c *Claims) bound() bool {
	cnf, _ := c.Raw["cnf"].(map[string]any)
	_, ok := cnf["jkt"]
	return ok
}

func dpopError(desc string) *Error {
	return &Error{Code: CodeInvalidDPoPProof, Description: desc, Err: ErrDPoPProof, DPoP: true}
}

// VerifyDPoP checks a DPoP-bound token and its proof (RFC 9449 §7.1,
// §4.3) for a request with method to htu (its URL; query and fragment are
// ignored): everything [Validator.Verify] checks, then the proof's typ,
// algorithm, public jwk and signature, htm, htu, iat within the window,
// ath (the token's hash), that its key is the one cnf.jkt names, and that
// its jti was not seen before by this Validator. Failures are *[Error]s
// with invalid_token (the token) or invalid_dpop_proof (the proof), whose
// challenge is the DPoP scheme's.
func (v *Validator) VerifyDPoP(ctx context.Context, token, proof, method, htu string) (*Claims, error) {
	c, err := v.verify(ctx, token)
	if err != nil {
		if e, ok := err.(*Error); ok {
			e.DPoP = true
		}
		return nil, err
	}
	jkt := c.JKT()
	if jkt == "" {
		return nil, &Error{Code: CodeInvalidToken, Description: "token is not DPoP-bound", Err: ErrNotBound, DPoP: true}
	}
	p, e := parseProof(&v.dpop.keys, proof, method, htu, v.cfg.now(), v.cfg.dpop.windowOrDefault())
	if e != nil {
		return nil, e
	}
	ath := sha256.Sum256([]byte(token))
	var want [43]byte
	base64.RawURLEncoding.Encode(want[:], ath[:])
	if subtle.ConstantTimeCompare([]byte(p.ath), want[:]) != 1 {
		return nil, dpopError("DPoP proof ath mismatch")
	}
	if subtle.ConstantTimeCompare([]byte(p.jkt), []byte(jkt)) != 1 {
		return nil, dpopError("DPoP proof key does not match the token's binding")
	}
	v.dpop.once.Do(func() { v.dpop.replay = newReplayCache(2*v.cfg.dpop.windowOrDefault(), v.cfg.dpop.limitOrDefault()) })
	switch v.dpop.replay.add(p.replayKey(), v.cfg.now()) {
	case replaySeen:
		return nil, dpopError("DPoP proof replayed")
	case replayFull:
		return nil, dpopError("too many DPoP proofs; retry shortly")
	}
	return c, nil
}

// VerifyRequest verifies the request's access token, as the middleware
// does: a bearer token (Authorization: Bearer), which must not be
// DPoP-bound, or a DPoP-bound one (Authorization: DPoP and a DPoP proof
// header) made for this request's method and URL (see [WithPublicURL]).
func (v *Validator) VerifyRequest(r *http.Request) (*Claims, *Error) {
	tok, isDPoP, e := authzToken(r)
	if e != nil {
		if v.cfg.dpop.required {
			e.DPoP = true
		}
		return nil, e
	}
	var (
		c   *Claims
		err error
	)
	switch {
	case isDPoP:
		proofs := r.Header.Values("DPoP")
		if len(proofs) != 1 {
			return nil, &Error{Code: CodeInvalidRequest, Description: "exactly one DPoP header required", Err: ErrBadRequest, DPoP: true}
		}
		c, err = v.VerifyDPoP(r.Context(), tok, proofs[0], r.Method, v.requestURL(r))
	case v.cfg.dpop.required:
		if c, err = v.Verify(r.Context(), tok); err == nil {
			err = &Error{Code: CodeInvalidToken, Description: "a DPoP-bound token is required", Err: ErrNotBound, DPoP: true}
		}
	default:
		c, err = v.Verify(r.Context(), tok)
	}
	if err != nil {
		e, ok := err.(*Error)
		if !ok {
			e = tokenError(err, "invalid token")
		}
		return nil, e
	}
	return c, nil
}

// authzToken reads the Authorization header: a Bearer token as
// [BearerToken] does, or a DPoP one (RFC 9449 §7.1).
func authzToken(r *http.Request) (tok string, isDPoP bool, e *Error) {
	hs := r.Header.Values("Authorization")
	if len(hs) == 1 {
		scheme, rest, _ := strings.Cut(strings.TrimSpace(hs[0]), " ")
		if strings.EqualFold(scheme, "DPoP") {
			rest = strings.TrimLeft(rest, " ")
			if !isB64Token(rest) {
				return "", true, &Error{Code: CodeInvalidRequest, Description: "malformed DPoP token", Err: ErrBadRequest, DPoP: true}
			}
			return rest, true, nil
		}
	}
	tok, e = BearerToken(r)
	return tok, false, e
}

// requestURL is the URL a proof for r must name.
func (v *Validator) requestURL(r *http.Request) string {
	if base := v.cfg.dpop.publicURL; base != "" {
		return base + r.URL.EscapedPath()
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.EscapedPath()
}

// proof is a DPoP proof that passed the checks of parseProof.
type proof struct {
	jkt, jti, ath string
}

// replayKey names the proof in the replay cache: jti is unique per key
// (RFC 9449 §4.2), and a digest bounds the memory an entry takes.
func (p *proof) replayKey() [16]byte {
	sum := sha256.Sum256([]byte(p.jkt + "." + p.jti))
	return [16]byte(sum[:16])
}

// parseProof applies RFC 9449 §4.3 steps 2–11 to raw for a request with
// method to htu; the caller checks ath, the binding and replays. A
// client sends the same protected header (typ, alg, jwk) with every proof,
// so its checks and its key's thumbprint are remembered in keys, by the
// header's exact text: a repeated proof costs one signature check and its
// claims.
func parseProof(keys *proofKeys, raw, method, htu string, now time.Time, window time.Duration) (*proof, *Error) {
	if raw == "" || len(raw) > maxProof {
		return nil, dpopError("invalid DPoP proof")
	}
	head, rest, ok1 := strings.Cut(raw, ".")
	payload, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.IndexByte(sig, '.') >= 0 {
		return nil, dpopError("invalid DPoP proof")
	}
	k := keys.get(head)
	if k == nil {
		var e *Error
		if k, e = parseProofHeader(head); e != nil {
			return nil, e
		}
		keys.put(head, k)
	}
	sigBytes, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !k.verify(raw[:len(head)+1+len(payload)], sigBytes) {
		return nil, dpopError("DPoP proof signature invalid")
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil, dpopError("malformed DPoP proof claims")
	}
	var c struct {
		JTI string   `json:"jti"`
		HTM string   `json:"htm"`
		HTU string   `json:"htu"`
		IAT *float64 `json:"iat"`
		ATH string   `json:"ath"`
	}
	if json.Unmarshal(body, &c) != nil {
		return nil, dpopError("malformed DPoP proof claims")
	}
	if c.JTI == "" || len(c.JTI) > 256 {
		return nil, dpopError("DPoP proof jti missing or too long")
	}
	if c.HTM != method {
		return nil, dpopError("DPoP proof htm mismatch")
	}
	if got, ok := normalizeHTU(c.HTU); !ok || got != normalizeOwn(htu) {
		return nil, dpopError("DPoP proof htu mismatch")
	}
	if c.IAT == nil || math.IsNaN(*c.IAT) {
		return nil, dpopError("DPoP proof iat missing")
	}
	if d := time.Duration((*c.IAT - float64(now.UnixNano())/1e9) * 1e9); d > window || d < -window {
		return nil, dpopError("DPoP proof iat is not recent enough")
	}
	return &proof{jkt: k.jkt, jti: c.JTI, ath: c.ATH}, nil
}

// proofKey is what a proof's protected header establishes: its algorithm,
// its public key and the key's RFC 7638 thumbprint.
type proofKey struct {
	alg jose.SignatureAlgorithm
	key crypto.PublicKey
	jkt string
}

// parseProofHeader checks a proof's protected header (RFC 9449 §4.3 steps
// 4–7): typ dpop+jwt, an allowed asymmetric alg, no crit, and a public jwk
// of the kind alg names.
func parseProofHeader(seg string) (*proofKey, *Error) {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, dpopError("invalid DPoP proof")
	}
	var h struct {
		Typ  string          `json:"typ"`
		Alg  string          `json:"alg"`
		JWK  json.RawMessage `json:"jwk"`
		Crit json.RawMessage `json:"crit"`
	}
	if json.Unmarshal(b, &h) != nil {
		return nil, dpopError("invalid DPoP proof")
	}
	alg := jose.SignatureAlgorithm(h.Alg)
	if !slices.Contains(dpopAlgs, alg) {
		return nil, dpopError("DPoP proof signature algorithm not allowed")
	}
	if !strings.EqualFold(h.Typ, "dpop+jwt") {
		return nil, dpopError("DPoP proof typ must be dpop+jwt")
	}
	if h.Crit != nil {
		return nil, dpopError("DPoP proof crit header not supported")
	}
	var jwk jose.JSONWebKey
	if len(h.JWK) == 0 || jwk.UnmarshalJSON(h.JWK) != nil || !jwk.Valid() || !jwk.IsPublic() {
		return nil, dpopError("DPoP proof jwk must be a public key")
	}
	if !keyFits(alg, jwk.Key) {
		return nil, dpopError("DPoP proof jwk does not match its alg")
	}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, dpopError("DPoP proof jwk has no thumbprint")
	}
	return &proofKey{alg: alg, key: jwk.Key, jkt: base64.RawURLEncoding.EncodeToString(tp)}, nil
}

// keyFits reports whether key is of the kind alg signs with.
func keyFits(alg jose.SignatureAlgorithm, key crypto.PublicKey) bool {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		return alg == jose.ES256 && k.Curve == elliptic.P256() || alg == jose.ES384 && k.Curve == elliptic.P384()
	case ed25519.PublicKey:
		return alg == jose.EdDSA
	case *rsa.PublicKey:
		return (alg == jose.RS256 || alg == jose.PS256) && k.N.BitLen() >= minRSABits
	}
	return false
}

// verify checks a JWS signature (RFC 7515 §5.2, RFC 7518 §3) over input.
func (k *proofKey) verify(input string, sig []byte) bool {
	switch k.alg {
	case jose.EdDSA:
		return ed25519.Verify(k.key.(ed25519.PublicKey), []byte(input), sig)
	case jose.ES256, jose.ES384:
		pub := k.key.(*ecdsa.PublicKey)
		size := (pub.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return false
		}
		var digest []byte
		if k.alg == jose.ES256 {
			d := sha256.Sum256([]byte(input))
			digest = d[:]
		} else {
			d := sha512.Sum384([]byte(input))
			digest = d[:]
		}
		r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
		return ecdsa.Verify(pub, digest, r, s)
	case jose.RS256:
		d := sha256.Sum256([]byte(input))
		return rsa.VerifyPKCS1v15(k.key.(*rsa.PublicKey), crypto.SHA256, d[:], sig) == nil
	case jose.PS256:
		d := sha256.Sum256([]byte(input))
		return rsa.VerifyPSS(k.key.(*rsa.PublicKey), crypto.SHA256, d[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) == nil
	}
	return false
}

// maxProofKeys bounds the remembered proof headers; past it the memory
// starts afresh. Each entry is a header of at most maxProof bytes and a
// public key.
const maxProofKeys = 4096

// proofKeys remembers checked proof headers by their text.
type proofKeys struct {
	mu sync.RWMutex
	m  map[string]*proofKey
}

func (c *proofKeys) get(head string) *proofKey {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[head]
}

func (c *proofKeys) put(head string, k *proofKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxProofKeys {
		c.m = make(map[string]*proofKey)
	}
	c.m[head] = k
}

// normalizeHTU returns an http(s) URL without its query and fragment, in
// the syntax- and scheme-based normal form of RFC 3986 §6.2.2–6.2.3:
// scheme and host in lower case, no default port, "/" for an empty path,
// the path's percent-encoding in Go's canonical form.
func normalizeHTU(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" || u.Host == "" {
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.IndexByte(host, ':') >= 0 {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	path := (&url.URL{Path: u.Path}).EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, true
}

// normalizeOwn normalizes the URL the request was made to; one that does
// not parse is kept as it is and so matches no proof.
func normalizeOwn(s string) string {
	if n, ok := normalizeHTU(s); ok {
		return n
	}
	return "\x00" + s
}

// replayCache remembers the proofs accepted in the last two periods (a
// period is twice the iat window, so a proof is remembered for as long as
// it could pass). Each generation holds at most max entries; when the
// current one is full, proofs are refused until it rotates.
type replayCache struct {
	mu        sync.Mutex
	cur, prev map[[16]byte]struct{}
	rotated   time.Time
	period    time.Duration
	max       int
}

func newReplayCache(period time.Duration, max int) *replayCache {
	return &replayCache{period: period, max: max}
}

// Results of replayCache.add.
const (
	replayNew = iota
	replaySeen
	replayFull
)

// add records key, unless it is there already or there is no room. A
// clock going back rotates nothing.
func (c *replayCache) add(key [16]byte, now time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch age := now.Sub(c.rotated); {
	case c.cur == nil || age >= 2*c.period:
		c.cur, c.prev, c.rotated = map[[16]byte]struct{}{}, nil, now
	case age >= c.period:
		c.cur, c.prev, c.rotated = map[[16]byte]struct{}{}, c.cur, now
	}
	if _, ok := c.cur[key]; ok {
		return replaySeen
	}
	if _, ok := c.prev[key]; ok {
		return replaySeen
	}
	if len(c.cur) >= c.max {
		return replayFull
	}
	c.cur[key] = struct{}{}
	return replayNew
}
