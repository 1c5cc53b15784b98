# Hidden setup of README.md's `winami prune` block with --kubeconfig (scene prune-karpenter of
# e2e/readme_test.go), sourced in the scene's shell:
#
#	. e2e/testdata/readme/prune-karpenter.sh SANDBOX_ADDRESS KUBECONFIG
#
# What the README describes and does not show: a sandbox, the audit user allowed to list
# nodes, four AMIs of a spec with keep: 1
# (team-win2022-1 … -4, three minutes apart on the sandbox's clock, tagged as winami's
# builds are), /karpenter/windows-pinned holding the oldest, Karpenter's EC2NodeClass CRD
# in the API server and an EC2NodeClass "windows" whose terms are that parameter and
# name: team-win2022-*, and the spec as winami.yaml. The sandbox runs in the background of
# the scene's shell, which the test kills at the end of the scene. The variables are exported
# in that shell; the rest runs in a subshell that stops at the first failure (its status is
# the setup's).
winami sandbox --listen "$1" --time-scale 600 >sandbox.log 2>&1 &
export AWS_ENDPOINT_URL=http://$1 AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox
export KUBECONFIG=$2
(
set -e
for _ in $(seq 100); do aws sts get-caller-identity >/dev/null 2>&1 && break; sleep 0.1; done
parent=$(aws ssm get-parameter --name /aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.35/image_id --query Parameter.Value --output text)
instance=$(aws ec2 run-instances --image-id "$parent" --instance-type m6i.large --query 'Instances[0].InstanceId' --output text)
amis=()
for i in 1 2 3 4; do
	sleep 0.3 # 3 minutes at 600x: each AMI is newer than the one before
	amis+=("$(aws ec2 create-image --instance-id "$instance" --name "team-win2022-$i" --query ImageId --output text \
		--tag-specifications "ResourceType=image,Tags=[{Key=winami:name,Value=team-win2022},{Key=winami:managed-by,Value=winami},{Key=Ec2ImageBuilderArn,Value=arn:aws:imagebuilder:us-east-1:123456789012:image/team-win2022/1.0.$i/1}]")")
done
aws ec2 terminate-instances --instance-ids "$instance" >/dev/null
aws ssm put-parameter --name /karpenter/windows-pinned --type String --data-type aws:ec2:image --value "${amis[0]}" >/dev/null
# The audit context's user may list nodes (what `winami audit` needs, e2e.GrantAudit's role),
# not EC2NodeClasses: the README's third command shows what prune says then.
kubectl apply -f - >/dev/null <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: winami-audit}
rules:
- {apiGroups: [""], resources: [nodes], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: winami-audit}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: winami-audit}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: winami-audit}
YAML
kubectl apply -f e2e/testdata/karpenter.k8s.aws_ec2nodeclasses.yaml >/dev/null
kubectl wait --for condition=established --timeout 30s crd/ec2nodeclasses.karpenter.k8s.aws >/dev/null
for _ in $(seq 50); do kubectl get ec2nodeclasses >/dev/null 2>&1 && break; sleep 0.2; done
kubectl apply -f - >/dev/null <<'YAML'
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata:
  name: windows
spec:
  role: KarpenterNodeRole-prod
  amiFamily: Windows2022
  amiSelectorTerms:
    - ssmParameter: /karpenter/windows-pinned
    - name: team-win2022-*
  subnetSelectorTerms:
    - tags: {karpenter.sh/discovery: prod}
  securityGroupSelectorTerms:
    - tags: {karpenter.sh/discovery: prod}
YAML
cat >winami.yaml <<'YAML'
apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata:
  name: team-win2022
  region: us-east-1
spec:
  kubernetesVersion: "1.35"
  windows: {version: "2022", edition: Core}
  keep: 1
YAML
)
