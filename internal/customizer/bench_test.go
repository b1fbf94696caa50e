package customizer

import "testing"

const sampleScript = `const getCustomJwtClaims = async ({ token, context, environmentVariables }) => {
  return { ...environmentVariables };
};`

// BenchmarkRun is one run of Logto's sample script through a worker
// process: the cost a customized token pays.
func BenchmarkRun(b *testing.B) {
	e := New(Options{})
	b.Cleanup(e.Close)
	s := e.Compile(sampleScript)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Run(input); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRunner is the worker's share of BenchmarkRun: one call on a
// locked-down runtime, in this process.
func BenchmarkRunner(b *testing.B) {
	v, err := newRunner()
	if err != nil {
		b.Fatal(err)
	}
	v.load(1, sampleScript, DefaultTimeout)
	b.ReportAllocs()
	for b.Loop() {
		if _, err, _ := v.call(input, DefaultTimeout); err != nil {
			b.Fatal(err)
		}
	}
}
