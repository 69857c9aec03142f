// The Gateway API conformance suite, unchanged: sigs.k8s.io/gateway-api/conformance run as its own
// repository runs it, configured by the suite's flags (e2e/gateway-api/conformance.sh passes
// them). A wrapper module, because the suite's module requires the Gateway API's root module at a
// placeholder version that only a replace resolves, and `go install` refuses replaces.
package conformance_test

import (
	"testing"

	"sigs.k8s.io/gateway-api/conformance"
)

func TestConformance(t *testing.T) {
	conformance.RunConformance(t)
}
