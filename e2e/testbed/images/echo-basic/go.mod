// Wrapper module: builds echo-basic, the Gateway API conformance echo backend (the package
// conformance/echo-basic of the module sigs.k8s.io/gateway-api/conformance; the .go.mod beside it
// there is hidden, renamed to go.mod only by its Dockerfile), at GATEWAY_API_VERSION in
// versions.env: change both together. That module requires sigs.k8s.io/gateway-api at a
// placeholder version that only its repository's replace (../) resolves; echo-basic imports
// nothing from it, so builds never look it up, but `go list -m all` does and fails.
module portico.dev/e2e/testbed/images/echo-basic

go 1.26.0

tool sigs.k8s.io/gateway-api/conformance/echo-basic

require (
	golang.org/x/net v0.55.0 // indirect
	golang.org/x/sys v0.45.0 // indirect
	golang.org/x/text v0.37.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260427160629-7cedc36a6bc4 // indirect
	google.golang.org/grpc v1.81.1 // indirect
	google.golang.org/protobuf v1.36.12-0.20260120151049-f2248ac996af // indirect
	sigs.k8s.io/gateway-api/conformance v1.6.3 // indirect
)
