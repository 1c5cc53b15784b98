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
//
// Validation checks each field against the AWS rule it must meet (the page is cited
// beside each check) and the combinations AWS would refuse late: an AMI encrypted with
// the AWS managed key aws/ebs that is shared or copied to other accounts, a KMS key of
// another region than the one it serves, a copy region without a key for an encrypted
// AMI that leaves the account, Fast Launch with target accounts.
package spec
