// Wrapper module that builds daprd, placement and scheduler of one pinned Dapr
// release from the Go module proxy. Nothing built is committed; see
// infra/dapr/binaries.py and infra/dapr/README.md.
module github.com/daca-labs/daca/infra/dapr/gobuild

go 1.26.5

require github.com/dapr/dapr v1.18.2

// Same replace directives as github.com/dapr/dapr v1.18.2's go.mod (replace
// directives only apply in the main module, so a wrapper must repeat them).
replace (
	dubbo.apache.org/dubbo-go/v3 => dubbo.apache.org/dubbo-go/v3 v3.0.3-0.20230118042253-4f159a2b38f3
	gopkg.in/couchbaselabs/gocbconnstr.v1 => github.com/couchbaselabs/gocbconnstr v1.0.5
)

replace (
	github.com/chenzhuoyu/iasm => github.com/chenzhuoyu/iasm v0.9.0
	github.com/chzyer/logex => github.com/chzyer/logex v1.2.1
	github.com/gobwas/pool => github.com/gobwas/pool v0.2.1
	github.com/toolkits/concurrent => github.com/niean/gotools v0.0.0-20151221085310-ff3f51fc5c60
)
