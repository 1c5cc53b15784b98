// Package ssm emulates the AWS Systems Manager Parameter Store operations winami calls,
// over the awsJson1_1 protocol: GetParameter, GetParameters, GetParametersByPath,
// GetParameterHistory, PutParameter, DeleteParameter and DescribeParameters.
//
// Every region is a separate store. Names under /aws/ are the public parameters of the
// seeded world: readable by everyone, writable by no one. PutParameter with DataType
// aws:ec2:image behaves as AWS documents it: the call succeeds at once and the AMI is
// validated asynchronously, so a value that names no AMI the caller can use is never
// stored (GetParameter keeps answering the previous version). The Service also
// implements awsemu.SSMStore for the services (Image Builder) that publish parameters.
package ssm
