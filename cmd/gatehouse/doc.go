// Command gatehouse is the Gatehouse machine-to-machine authorization
// server and its tools, in one binary:
//
//	gatehouse serve            run the server (see docs/configuration.md)
//	gatehouse bench            load-test a client-credentials token endpoint
//	gatehouse bench baseline   serve a bare token endpoint to compare with
//	gatehouse bench provision  create N apps through the Management API for bench -credentials
//	gatehouse bench writes     send Management API writes at a fixed rate
//	gatehouse bench jwks       print the JWK Set of a key for bench -auth private_key_jwt
//
// main only turns signals into a cancelled context and the result of
// app.Run into the exit code; everything else lives in internal/app.
package main
