// Package sts emulates AWS STS GetCallerIdentity over the awsQuery protocol. Every
// caller is the IAM user awsemu.CallerUserName of the server's account.
package sts
