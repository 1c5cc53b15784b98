// Package restjson implements the restJson1 wire protocol for awsemu services (EC2 Image
// Builder, EKS).
//
// A restJson1 operation is named by its HTTP method and URI template (`PUT /CreateComponent`,
// `GET /clusters/{name}`), takes its input from URI labels, the query string and a JSON
// body, and answers JSON. Errors carry their code in the X-Amzn-ErrorType header and
// {"message": …} in the body, with the HTTP status the service model gives the error;
// that is what aws-sdk-go-v2's restjson deserializers and botocore's RestJSONParser read.
//
// A service builds a Router from its routes and asks it for the operation of a request:
//
//	var routes = restjson.NewRouter(
//		restjson.Route{Method: "GET", Path: "/clusters/{name}", Op: "DescribeCluster"},
//	)
//	func (s *Service) Operation(r *awsemu.Request) string {
//		op, _ := routes.Match(r.HTTP)
//		return op
//	}
package restjson
