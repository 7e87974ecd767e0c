// Command daprd is Dapr's sidecar with only the components the course uses.
//
// Upstream selects components with the build tags "stablecomponents" or
// "allcomponents"; without a tag its cmd/daprd/components package panics on
// purpose. infra/dapr/binaries.py builds this command with a `go build -overlay`
// that blanks that one file, so the components registered in components.go are
// the only ones compiled in.
package main

import "github.com/dapr/dapr/cmd/daprd/app"

func main() { app.Run() }
