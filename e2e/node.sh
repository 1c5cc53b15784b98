#!/usr/bin/env bash
# e2e/node.sh NAME AMI KUBELET [OS_BUILD]: launch an EC2 instance of AMI (aws ec2
# run-instances, against whatever AWS_ENDPOINT_URL points at, e.g. `winami sandbox`) and
# register a Windows Node NAME for it in the cluster kubectl points at (e.g. the API
# server of `e2e/setup.sh up`), with the labels and status a Windows kubelet on EKS
# reports. A way to try `winami audit` with no AWS account and no Windows machine.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: e2e/node.sh NAME AMI KUBELET [OS_BUILD]" >&2; exit 2; }
name=$1 ami=$2 kubelet=$3 build=${4:-10.0.20348}
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-${AWS_REGION:-us-east-1}}
zone=${AWS_DEFAULT_REGION}a
id=$(aws ec2 run-instances --image-id "$ami" --count 1 --instance-type m6i.2xlarge \
	--placement "AvailabilityZone=$zone" --query 'Instances[0].InstanceId' --output text)
kubectl create -f - <<YAML
apiVersion: v1
kind: Node
metadata:
  name: $name
  labels:
    kubernetes.io/os: windows
    kubernetes.io/arch: amd64
    node.kubernetes.io/windows-build: "$build"
    eks.amazonaws.com/nodegroup: ${NODEGROUP:-windows-ng}
spec:
  providerID: aws:///$zone/$id
status:
  conditions:
  - type: Ready
    status: "True"
    reason: KubeletReady
    message: kubelet is posting ready status
    lastHeartbeatTime: "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    lastTransitionTime: "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  nodeInfo:
    kubeletVersion: $kubelet
    kubeProxyVersion: ""
    osImage: Windows Server Datacenter
    kernelVersion: "$build.2700"
    operatingSystem: windows
    architecture: amd64
    containerRuntimeVersion: containerd://1.7.27
    bootID: ""
    machineID: ""
    systemUUID: ""
YAML
