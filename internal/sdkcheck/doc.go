// Package sdkcheck holds the tests of the client and protect modules that
// need the server module: client and protect are modules of their own
// (their own go.mod, depending only on golang.org/x/oauth2 and go-jose), so
// their tests cannot start a Gatehouse server (internal/apptest) or read
// the server's OpenAPI document with kin-openapi.
//
//   - client/: the Management API client against a started server, and
//     every route of api/openapi.yaml mapped to a client method;
//   - protect/: a Validator checking the tokens of a started server,
//     through a key rotation;
//   - modules_test.go: a program outside the repository importing both
//     modules lists none of the server's dependencies among its modules.
//
// The package itself is empty.
package sdkcheck
