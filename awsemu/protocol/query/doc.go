// Package query speaks the two form-encoded AWS wire protocols: awsQuery (STS, IAM) and
// the ec2 query protocol (EC2).
//
// Both send requests as application/x-www-form-urlencoded bodies carrying Action and
// Version, with nested lists and maps flattened into dotted keys. They differ in how lists
// are spelled and in the XML they answer:
//
//	ec2:      ImageId.1=ami-1&Filter.1.Name=name&Filter.1.Value.1=Windows*
//	awsQuery: PolicyInputList.member.1=...&Tags.member.1.Key=k&Attributes.entry.1.key=k
//
//	ec2 response:      <XResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
//	                     <requestId>…</requestId> … lists as <fooSet><item>…</item></fooSet>
//	awsQuery response: <XResponse xmlns="…"><XResult>…</XResult>
//	                     <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></XResponse>
//
// Decoding: Parse turns a body into Values, whose accessors read both list styles
// (List for ec2's Key.N, Members for awsQuery's Key.member.N, Structs for lists of
// structures, Map for Key.entry.N.key/value).
//
// Encoding: describe the output as Go structs with encoding/xml tags, using Items[T]
// (ec2's <item>) or Members[T] (awsQuery's <member>) for lists, and hand it to WriteEC2
// or WriteQuery; errors go through WriteEC2Error or WriteQueryError.
//
// A minimal awsQuery service (STS GetCallerIdentity):
//
//	func (s *STS) Operation(r *awsemu.Request) string { return query.Action(r.Body) }
//
//	func (s *STS) Serve(w http.ResponseWriter, r *awsemu.Request, op string) {
//		v, err := query.Parse(r.Body)
//		if err != nil {
//			query.WriteQueryError(w, 400, "MalformedInput", err.Error(), r.ID)
//			return
//		}
//		_ = v // v.Get("RoleName"), v.Members("PolicyInputList"), v.Map("Attributes") …
//		type result struct {
//			Arn     string `xml:"Arn"`
//			UserID  string `xml:"UserId"`
//			Account string `xml:"Account"`
//		}
//		query.WriteQuery(w, op, query.STSNamespace, r.ID,
//			result{Arn: "arn:aws:iam::123456789012:root", UserID: "123456789012", Account: "123456789012"})
//	}
//
// A list in an awsQuery result is a field of type Members[T], always written, empty or
// not; in ec2 output it is Items[T]:
//
//	AttachedPolicies query.Members[Policy] `xml:"AttachedPolicies"`  // awsQuery
//	ImagesSet        query.Items[Image]    `xml:"imagesSet"`         // ec2
//
// Scalars that may be absent are pointer or omitempty fields; timestamps are strings
// made with Time.
package query
