package sts_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
)

func TestGetCallerIdentity(t *testing.T) {
	for _, account := range []string{"", "210987654321"} {
		var opts []emulator.Option
		want := awsemu.DefaultAccount
		if account != "" {
			opts = append(opts, emulator.WithAccount(account))
			want = account
		}
		srv := emulatortest.Start(t, opts...)
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			out, err := sts.NewFromConfig(awstest.SDKConfig(srv.URL(), region)).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			if *out.Account != want || *out.Arn != "arn:aws:iam::"+want+":user/"+awsemu.CallerUserName || !strings.HasPrefix(*out.UserId, "AIDA") || len(*out.UserId) != 21 {
				t.Errorf("%s: %s %s %s", region, *out.Account, *out.Arn, *out.UserId)
			}
		}
	}
}

func TestThrottling(t *testing.T) {
	srv := emulatortest.Start(t)
	srv.Faults.SetThrottle(1)
	_, err := sts.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1")).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err == nil || !strings.Contains(err.Error(), "Throttling") {
		t.Fatalf("throttled GetCallerIdentity: %v", err)
	}
}
