module github.com/gatehouse/gatehouse/protect

go 1.24.0

// go-jose v4.1.x says go 1.24.0, which sets this module's go line; v4.1.8
// is the version the server uses too.
require github.com/go-jose/go-jose/v4 v4.1.8
