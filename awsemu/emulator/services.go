package emulator

import (
	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/seed"
	"github.com/winami/winami/awsemu/services/autoscaling"
	"github.com/winami/winami/awsemu/services/ec2"
	"github.com/winami/winami/awsemu/services/ecr"
	"github.com/winami/winami/awsemu/services/eks"
	"github.com/winami/winami/awsemu/services/iam"
	"github.com/winami/winami/awsemu/services/imagebuilder"
	"github.com/winami/winami/awsemu/services/kms"
	"github.com/winami/winami/awsemu/services/s3"
	"github.com/winami/winami/awsemu/services/servicequotas"
	"github.com/winami/winami/awsemu/services/ssm"
	"github.com/winami/winami/awsemu/services/sts"
)

// register adds every service to srv, with the seed.
func register(srv *awsemu.Server) { registerSeeded(srv, seed.Images(), seed.Parameters()) }

// registerSeeded adds every service to srv, EC2 holding images and SSM params (the fuzz
// test's worlds carry one region of the seed, to be quick to make). EC2 goes first: other
// services (SSM's aws:ec2:image parameters, Image Builder's AMIs) reach it through srv.EC2.
func registerSeeded(srv *awsemu.Server, images []awsemu.Image, params []awsemu.Parameter) {
	ec2.New(srv, images)
	ssm.New(srv, params)
	imagebuilder.New(srv)
	eks.New(srv)
	sts.New(srv)
	kms.New(srv)
	s3.New(srv)
	iam.New(srv)
	ecr.New(srv)
	autoscaling.New(srv)
	servicequotas.New(srv)
}
