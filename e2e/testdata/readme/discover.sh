# Hidden setup of README.md's `images discover` blocks and audit's cache-coverage block
# (scene audit-coverage of e2e/readme_test.go), sourced in the scene's shell in three steps:
#
#	. e2e/testdata/readme/discover.sh cluster SANDBOX_ADDRESS REGISTRY_ADDRESS KUBECONFIG
#	. e2e/testdata/readme/discover.sh rebuild
#	. e2e/testdata/readme/discover.sh back
#
# cluster: what the README describes before the first block and does not show: a sandbox
# (600x) and the local registry of `images check` (docs/registry, built by the test as
# docs-registry on PATH) in the background of the
# scene's shell (the test kills both at the end of the scene); winami.yaml, the
# walkthrough's spec caching the ASP.NET image only, built (apply and build, reading the
# registry) into $first; two Windows nodes win-a and win-b on it (e2e/node.sh); in
# namespace shop a Windows Deployment web of the ASP.NET image with two Running pods on
# those nodes (their status names the digest the node pulled) and a CronJob report of
# myapp:1.4.2 with spec.os.name windows; in namespace tools a Linux Deployment proxy.
# rebuild: myapp:1.4.2 added to spec.cache.images, built again into $second, and the two
# nodes replaced by nodes of $second ("on nodes of the new AMI").
# back: the nodes on $first again, the state audit's cache-coverage block describes.
#
# Each step's variables are exported in the scene's shell; the work runs in a subshell that
# stops at the first failure (its status is the step's).
case $1 in
cluster)
	export AWS_ENDPOINT_URL=http://$2 AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox
	export KUBECONFIG=$4 REGISTRY=$3
	winami sandbox --listen "$2" --time-scale 600 >sandbox.log 2>&1 &
	docs-registry --listen "$3" >registry.log 2>&1 &
	(
		set -e
		for _ in $(seq 100); do aws sts get-caller-identity >/dev/null 2>&1 && break; sleep 0.1; done
		for _ in $(seq 100); do grep -q serving registry.log && break; sleep 0.1; done
		cat >winami.yaml <<YAML
apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata:
  name: prod-win2022
  region: us-east-1
spec:
  kubernetesVersion: "1.36"
  windows: {version: "2022", edition: Core}
  cache:
    images:
      - $REGISTRY/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022
  distribution:
    regions: [us-east-1]
YAML
		winami build -f winami.yaml --create-roles --yes --poll-interval 1s >build.log 2>&1
		kubectl create namespace shop >/dev/null
		kubectl create namespace tools >/dev/null
		# No controller-manager runs: the pods need their namespace's default service account.
		kubectl -n shop create serviceaccount default >/dev/null
		kubectl -n tools create serviceaccount default >/dev/null
		kubectl apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: {kubernetes.io/os: windows}
      containers:
      - {name: web, image: $REGISTRY/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: shop}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          os: {name: windows}
          restartPolicy: OnFailure
          containers:
          - {name: report, image: $REGISTRY/myapp:1.4.2}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: proxy, namespace: tools}
spec:
  replicas: 1
  selector: {matchLabels: {app: proxy}}
  template:
    metadata: {labels: {app: proxy}}
    spec:
      nodeSelector: {kubernetes.io/os: linux}
      containers:
      - {name: proxy, image: nginx:1.27}
YAML
	)
	export first=$(aws ec2 describe-images --owners self --filters Name=tag:winami:name,Values=prod-win2022 --query 'Images[0].ImageId' --output text) &&
	(
		set -e
		e2e/node.sh win-a "$first" v1.36.3-eks-1a2b3c4 >/dev/null
		e2e/node.sh win-b "$first" v1.36.3-eks-1a2b3c4 >/dev/null
		# The Deployment's two pods, Running on those nodes (no scheduler or kubelet runs):
		# their status names the digest the node pulled, as a kubelet reports it.
		digest=$(winami images check --windows 2022 -o json "$REGISTRY/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022" 2>/dev/null | jq -r '.images[0].digest')
		for p in web-7d4b9c-a:win-a web-7d4b9c-b:win-b; do
			kubectl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: ${p%%:*}, namespace: shop, labels: {app: web}}
spec:
  nodeName: ${p##*:}
  nodeSelector: {kubernetes.io/os: windows}
  containers:
  - {name: web, image: $REGISTRY/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022}
YAML
			kubectl -n shop patch pod "${p%%:*}" --subresource=status --type=merge >/dev/null -p "{\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],\"containerStatuses\":[{\"name\":\"web\",\"ready\":true,\"restartCount\":0,\"image\":\"$REGISTRY/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022\",\"imageID\":\"$REGISTRY/dotnet/framework/aspnet@$digest\",\"state\":{\"running\":{}}}]}}"
		done
	)
	;;
rebuild)
	(
		set -e
		sed -i "s|^      - $REGISTRY/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022\$|&\n      - $REGISTRY/myapp:1.4.2|" winami.yaml
		grep -q myapp winami.yaml
		winami apply -f winami.yaml --yes >apply.log 2>&1
		winami build -f winami.yaml --yes --poll-interval 1s >build2.log 2>&1
	) &&
	export second=$(aws ec2 describe-images --owners self --filters Name=tag:winami:name,Values=prod-win2022 --query 'sort_by(Images,&CreationDate)[-1].ImageId' --output text) &&
	[ "$second" != "$first" ] &&
	kubectl delete node win-a win-b >/dev/null &&
	e2e/node.sh win-a "$second" v1.36.3-eks-1a2b3c4 >/dev/null &&
	e2e/node.sh win-b "$second" v1.36.3-eks-1a2b3c4 >/dev/null
	;;
back)
	kubectl delete node win-a win-b >/dev/null &&
	e2e/node.sh win-a "$first" v1.36.3-eks-1a2b3c4 >/dev/null &&
	e2e/node.sh win-b "$first" v1.36.3-eks-1a2b3c4 >/dev/null
	;;
*)
	echo "discover.sh: unknown step ${1:-}: use cluster, rebuild or back" >&2
	false
	;;
esac
