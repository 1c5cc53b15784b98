// Package spec is the winami.yaml file: its types, a strict loader whose errors carry
// the line of the offending field, defaults, validation that collects every problem,
// and a stable hash of the effective spec.
//
// A file is loaded with Load (or parsed from bytes with Parse); the result has its
// defaults filled and has been validated:
//
//	img, err := spec.Load("winami.yaml")
//	var verrs spec.Errors
//	if errors.As(err, &verrs) {
//		for _, e := range verrs {
//			fmt.Println(e.Line, e.Path, e.Message)
//		}
//	}
package spec
