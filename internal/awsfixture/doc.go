// Package awsfixture builds the AWS state tests start from, and reads back what a
// command did, through the real SDK against an endpoint (awsemu in the tests): own AMIs
// made from instances, tags, parameters, roles and policies, launch templates. It lets
// the command tests of internal/cli stay free of the AWS service client packages (the
// commands reach AWS only through the library); its methods take plain Go values and
// return the SDK's outputs as they are, so a test asserts on what AWS answered.
// Only tests import it.
package awsfixture
