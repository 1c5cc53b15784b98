// Package sts emulates AWS STS over the awsQuery protocol: GetCallerIdentity answers the
// caller the access key id names (an account's IAM user awsemu.CallerUserName, or an
// assumed-role session), and AssumeRole issues temporary credentials that reach the role's
// account, possibly a peer account of the endpoint, as the session
// arn:aws:sts::<account>:assumed-role/<role>/<session>.
package sts
