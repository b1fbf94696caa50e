// Package version reads what this binary is from its build info: the
// module version, the VCS commit and the Go version. It is what
// "gatehouse version" prints and what the gatehouse_build_info metric
// carries; it does not parse or compare versions.
package version
