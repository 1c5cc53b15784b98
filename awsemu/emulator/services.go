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

// register adds every service to srv, EC2 and SSM holding package seed's AMIs and
// parameters or those of WithSeed (a fresh copy of them for each account). EC2 goes first:
// other services (SSM's aws:ec2:image parameters, Image Builder's AMIs) reach it through
// srv.EC2.
func register(srv *awsemu.Server, o options) {
	if o.seeded {
		ec2.New(srv, seed.CloneImages(o.images))
		ssm.New(srv, cloneParams(o.params))
	} else {
		ec2.New(srv, seed.Images())
		ssm.New(srv, seed.Parameters())
	}
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

// cloneParams copies parameters as seed.Parameters does.
func cloneParams(src []awsemu.Parameter) []awsemu.Parameter {
	out := make([]awsemu.Parameter, len(src))
	for i, p := range src {
		p.History = append([]awsemu.ParameterVersion(nil), p.History...)
		out[i] = p
	}
	return out
}
