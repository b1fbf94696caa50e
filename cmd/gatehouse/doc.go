// Command gatehouse is the Gatehouse machine-to-machine authorization
// server and its tools, in one binary:
//
//	gatehouse serve            run the server (see docs/configuration.md)
//	gatehouse bench            load-test a client-credentials token endpoint
//	gatehouse bench baseline   serve a bare token endpoint to compare with
//
// main only turns signals into a cancelled context and the result of
// app.Run into the exit code; everything else lives in internal/app.
package main
