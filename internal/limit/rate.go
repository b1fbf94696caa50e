package limit

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Bounds of a Rate: a window from a second to a day, at most a million
// failures in it (so one failure pays off in at least a microsecond).
const (
	MinPer = time.Second
	MaxPer = 24 * time.Hour
	MaxN   = 1_000_000
)

// Rate is N failures per window Per. The zero Rate is off: nothing is
// limited.
type Rate struct {
	N   int
	Per time.Duration
}

// Off reports whether the rate limits nothing.
func (r Rate) Off() bool { return r.N <= 0 || r.Per <= 0 }

// Interval is the time one failure takes to pay off, Per/N.
func (r Rate) Interval() time.Duration {
	if r.Off() {
		return 0
	}
	return r.Per / time.Duration(r.N)
}

// String formats r as ParseRate reads it: "off", or N/DURATION with the
// duration's zero units dropped ("30/1m", not "30/1m0s").
func (r Rate) String() string {
	if r.Off() {
		return "off"
	}
	return strconv.Itoa(r.N) + "/" + shortDuration(r.Per)
}

func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// ParseRate reads "N/DURATION" (N a whole number, DURATION a Go duration:
// "30/1m", "5/30s", "100/1h"), or "0" or "off" for no limit. The error
// says what is wrong without repeating s.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "0" || strings.EqualFold(s, "off") {
		return Rate{}, nil
	}
	ns, ds, ok := strings.Cut(s, "/")
	if !ok {
		return Rate{}, errors.New("must be N/DURATION (like 30/1m), 0 or off")
	}
	n, err := strconv.Atoi(strings.TrimSpace(ns))
	if err != nil || n < 0 {
		return Rate{}, errors.New("the count before / must be a whole number")
	}
	per, err := time.ParseDuration(strings.TrimSpace(ds))
	if err != nil {
		return Rate{}, errors.New("the window after / must be a duration (like 1m or 30s)")
	}
	switch {
	case n == 0:
		return Rate{}, nil
	case n > MaxN:
		return Rate{}, errors.New("the count must be at most " + strconv.Itoa(MaxN))
	case per < MinPer || per > MaxPer:
		return Rate{}, errors.New("the window must be from " + shortDuration(MinPer) + " to " + shortDuration(MaxPer))
	}
	return Rate{N: n, Per: per}, nil
}
