package kms

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/awsjson"
	"github.com/winami/winami/awsemu/services/iam"
)

// Service is the KMS service of one account's world.
type Service struct {
	awsjson.Protocol

	srv *awsemu.Server
	mu  sync.Mutex
	seq int
	// regions: region → its keys and aliases.
	regions map[string]*regionState
}

type regionState struct {
	keys    map[string]*key   // key id → key
	aliases map[string]*alias // alias name (alias/…) → alias
}

type key struct {
	id, arn, account, region string
	description              string
	policy                   string
	usage, spec, origin      string
	manager                  string // CUSTOMER or AWS
	state                    string // Enabled, Disabled
	multiRegion              bool
	created                  time.Time
	tags                     []tag
	grants                   []*grant
}

type alias struct {
	name, arn, target string
	created, updated  time.Time
}

type grant struct {
	id, token, name    string
	grantee, retiring  string
	operations         []string
	constraints        map[string]any
	created            time.Time
	issuingAccountRoot string
}

type tag struct {
	TagKey   string `json:"TagKey"`
	TagValue string `json:"TagValue"`
}

// New returns the KMS service, registers it on srv and makes it srv.KMS.
func New(srv *awsemu.Server) *Service {
	s := &Service{srv: srv, regions: map[string]*regionState{}}
	s.Handlers = map[string]awsjson.Handler{
		"CreateKey":       s.createKey,
		"DescribeKey":     s.describeKey,
		"ListKeys":        s.listKeys,
		"CreateAlias":     s.createAlias,
		"DeleteAlias":     s.deleteAlias,
		"ListAliases":     s.listAliases,
		"GetKeyPolicy":    s.getKeyPolicy,
		"PutKeyPolicy":    s.putKeyPolicy,
		"ListKeyPolicies": s.listKeyPolicies,
		"CreateGrant":     s.createGrant,
		"ListGrants":      s.listGrants,
		"RevokeGrant":     s.revokeGrant,
		"DisableKey":      s.disableKey,
		"EnableKey":       s.enableKey,
	}
	srv.Register(s)
	srv.KMS = s
	return s
}

// Name is the SigV4 signing name, "kms".
func (s *Service) Name() string { return "kms" }

// region returns a region's state. Callers hold s.mu.
func (s *Service) region(name string) *regionState {
	rs := s.regions[name]
	if rs == nil {
		rs = &regionState{keys: map[string]*key{}, aliases: map[string]*alias{}}
		s.regions[name] = rs
	}
	return rs
}

func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	}
	return "aws"
}

// DefaultKeyPolicy is the key policy KMS gives a key created through the API without one:
// the account's root may do everything, which lets the account's IAM policies allow
// access. GetKeyPolicy answers it in this layout.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
func DefaultKeyPolicy(partition, account string) string {
	return `{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:` + partition + `:iam::` + account + `:root"
    },
    "Action" : "kms:*",
    "Resource" : "*"
  } ]
}`
}

// awsManagedPolicy is the key policy of an AWS managed key for service (ec2 for aws/ebs):
// any principal of the account may use it through the service, and read it.
// https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key
func awsManagedPolicy(account, region, service string) string {
	return `{"Version":"2012-10-17","Id":"auto-` + service + `-1","Statement":[` +
		`{"Sid":"Allow access through the service for all principals in the account that are authorized to use it","Effect":"Allow","Principal":{"AWS":"*"},` +
		`"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:CreateGrant","kms:DescribeKey"],"Resource":"*",` +
		`"Condition":{"StringEquals":{"kms:CallerAccount":"` + account + `","kms:ViaService":"` + service + `.` + region + `.amazonaws.com"}}},` +
		`{"Sid":"Allow direct access to key metadata to the account","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},` +
		`"Action":["kms:Describe*","kms:Get*","kms:List*","kms:RevokeGrant"],"Resource":"*"}]}`
}

// awsManagedAliases are the AWS managed keys' aliases the endpoint knows, with the service
// that uses each.
var awsManagedAliases = map[string]string{"alias/aws/ebs": "ec2"}

// newID returns a key id (a UUID) unique in the world. Callers hold s.mu.
func (s *Service) newID(what string) string {
	s.seq++
	h := sha256.Sum256([]byte(fmt.Sprintf("%s/%s/%d", s.srv.Account, what, s.seq)))
	x := hex.EncodeToString(h[:16])
	return x[:8] + "-" + x[8:12] + "-4" + x[13:16] + "-8" + x[17:20] + "-" + x[20:32]
}

var keyIDRE = regexp.MustCompile(`^(mrk-)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// errors, as the KMS API reference names them.
// https://docs.aws.amazon.com/kms/latest/APIReference/CommonErrors.html
func notFound(format string, args ...any) error {
	return awsjson.Errorf("NotFoundException", format, args...)
}

func validation(format string, args ...any) error {
	return awsjson.Errorf("ValidationException", format, args...)
}

// lookup resolves keyID in the caller's region: a key id, key ARN, alias name or alias
// ARN (when aliasOK). An ARN of another account is resolved in that account's world when
// crossOK (the operations whose "Cross-account use" is Yes). Callers hold no lock.
// https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id
func (s *Service) lookup(r *awsemu.Request, keyID string, aliasOK, crossOK bool) (*Service, *key, error) {
	if keyID == "" {
		return nil, nil, validation("1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null")
	}
	owner := s
	if strings.HasPrefix(keyID, "arn:") {
		parts := strings.SplitN(keyID, ":", 6)
		if len(parts) == 6 && parts[4] != s.srv.Account {
			peer, ok := s.srv.Peer(parts[4])
			other, _ := func() (*Service, bool) {
				if !ok || !crossOK {
					return nil, false
				}
				o, k := peer.KMS.(*Service)
				return o, k
			}()
			if other == nil {
				return nil, nil, s.missing(r.Region, keyID)
			}
			owner = other
		}
	}
	isAlias := strings.HasPrefix(keyID, "alias/") || strings.HasPrefix(keyID, "arn:") && strings.Contains(keyID, ":alias/")
	if isAlias && !aliasOK {
		return nil, nil, notFound("Invalid keyId %s", keyID)
	}
	k := owner.resolve(r.Region, keyID)
	if k == nil {
		return nil, nil, s.missing(r.Region, keyID)
	}
	return owner, k, nil
}

// missing is the NotFoundException for keyID.
func (s *Service) missing(region, keyID string) error {
	switch {
	case strings.HasPrefix(keyID, "alias/"):
		return notFound("Alias arn:%s:kms:%s:%s:%s is not found.", partition(region), region, s.srv.Account, keyID)
	case strings.HasPrefix(keyID, "arn:") && strings.Contains(keyID, ":alias/"):
		return notFound("Alias %s is not found.", keyID)
	case strings.HasPrefix(keyID, "arn:") && strings.Contains(keyID, ":key/"):
		return notFound("Key '%s' does not exist", keyID)
	case keyIDRE.MatchString(keyID):
		return notFound("Key 'arn:%s:kms:%s:%s:key/%s' does not exist", partition(region), region, s.srv.Account, keyID)
	}
	return notFound("Invalid keyId %s", keyID)
}

// resolve finds a key of this account in region by id, key ARN, alias name or alias ARN;
// an AWS managed alias (alias/aws/ebs) makes its key on first use. An ARN names its own
// region. nil when there is none.
func (s *Service) resolve(region, keyID string) *key {
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.HasPrefix(keyID, "arn:") {
		parts := strings.SplitN(keyID, ":", 6)
		if len(parts) != 6 || parts[2] != "kms" || parts[4] != s.srv.Account {
			return nil
		}
		region, keyID = parts[3], parts[5]
		keyID = strings.TrimPrefix(keyID, "key/")
	}
	rs := s.region(region)
	if strings.HasPrefix(keyID, "alias/") {
		a := rs.aliases[keyID]
		if a == nil {
			service, managed := awsManagedAliases[keyID]
			if !managed {
				return nil
			}
			a = s.addManagedKey(region, keyID, service)
		}
		return rs.keys[a.target]
	}
	return rs.keys[keyID]
}

// addManagedKey creates the AWS managed key of alias name in region. Callers hold s.mu.
func (s *Service) addManagedKey(region, name, service string) *alias {
	rs := s.region(region)
	k := s.newKey(region, "Default key that protects my EBS volumes when no other key is defined", awsManagedPolicy(s.srv.Account, region, service))
	k.manager = "AWS"
	now := s.srv.Clock.Now().UTC()
	a := &alias{name: name, arn: "arn:" + partition(region) + ":kms:" + region + ":" + s.srv.Account + ":" + name, target: k.id, created: now, updated: now}
	rs.aliases[name] = a
	return a
}

// newKey stores a new symmetric customer managed key. Callers hold s.mu.
func (s *Service) newKey(region, description, policy string) *key {
	id := s.newID("key")
	k := &key{id: id, arn: "arn:" + partition(region) + ":kms:" + region + ":" + s.srv.Account + ":key/" + id,
		account: s.srv.Account, region: region, description: description, policy: policy,
		usage: "ENCRYPT_DECRYPT", spec: "SYMMETRIC_DEFAULT", origin: "AWS_KMS", manager: "CUSTOMER",
		state: "Enabled", created: s.srv.Clock.Now().UTC()}
	s.region(region).keys[id] = k
	return k
}

// metadata is a key's KeyMetadata.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyMetadata.html
func (k *key) metadata() map[string]any {
	return map[string]any{
		"AWSAccountId": k.account, "KeyId": k.id, "Arn": k.arn, "CreationDate": awsjson.Time(k.created),
		"Enabled": k.state == "Enabled", "Description": k.description, "KeyUsage": k.usage, "KeyState": k.state,
		"Origin": k.origin, "KeyManager": k.manager, "CustomerMasterKeySpec": k.spec, "KeySpec": k.spec,
		"EncryptionAlgorithms": []string{"SYMMETRIC_DEFAULT"}, "MultiRegion": k.multiRegion,
	}
}

// authorizeCall refuses the caller of r an action on k unless the key policy (with the IAM
// policies it delegates to) or a grant allows it.
// https://docs.aws.amazon.com/kms/latest/developerguide/control-access.html
// authorizedKey looks a request's key up (lookup) and checks that the caller may call
// action on it (authorizeCall): the start of every operation on one key.
func (s *Service) authorizedKey(r *awsemu.Request, keyID string, aliasOK, crossOK bool, action string) (*Service, *key, error) {
	owner, k, err := s.lookup(r, keyID, aliasOK, crossOK)
	if err != nil {
		return nil, nil, err
	}
	if err := s.authorizeCall(r, owner, k, action); err != nil {
		return nil, nil, err
	}
	return owner, k, nil
}

func (s *Service) authorizeCall(r *awsemu.Request, owner *Service, k *key, action string) error {
	principal := s.srv.PrincipalOf(r)
	if ok, _ := owner.authorize(k, principal, action, nil); !ok {
		return &awsjson.Error{Status: http.StatusBadRequest, Code: "AccessDeniedException",
			Message: "User: " + principal + " is not authorized to perform: " + action + " on resource: " + k.arn + " because no resource-based policy allows the " + action + " action"}
	}
	return nil
}

func (s *Service) createKey(r *awsemu.Request) (any, error) {
	var in struct {
		Policy, Description, KeyUsage, KeySpec, CustomerMasterKeySpec, Origin string
		MultiRegion, BypassPolicyLockoutSafetyCheck                           bool
		Tags                                                                  []tag
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	// Only symmetric encryption keys made by KMS are modeled (DIFFERENCES.md).
	// https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html
	if in.KeyUsage != "" && in.KeyUsage != "ENCRYPT_DECRYPT" {
		return nil, awsjson.Errorf("UnsupportedOperationException", "awsemu models symmetric ENCRYPT_DECRYPT keys only, not KeyUsage %s", in.KeyUsage)
	}
	spec := in.KeySpec
	if spec == "" {
		spec = in.CustomerMasterKeySpec
	}
	if spec != "" && spec != "SYMMETRIC_DEFAULT" {
		return nil, awsjson.Errorf("UnsupportedOperationException", "awsemu models SYMMETRIC_DEFAULT keys only, not KeySpec %s", spec)
	}
	if in.Origin != "" && in.Origin != "AWS_KMS" {
		return nil, awsjson.Errorf("UnsupportedOperationException", "awsemu models keys of Origin AWS_KMS only, not %s", in.Origin)
	}
	if len(in.Description) > 8192 {
		return nil, validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192")
	}
	if len(in.Tags) > 50 {
		return nil, awsjson.Errorf("TagException", "Too many tags")
	}
	policy := in.Policy
	if policy == "" {
		policy = DefaultKeyPolicy(partition(r.Region), s.srv.Account)
	} else if err := s.checkPolicy(r, policy, in.BypassPolicyLockoutSafetyCheck); err != nil {
		return nil, err
	}
	s.mu.Lock()
	k := s.newKey(r.Region, in.Description, policy)
	k.multiRegion = in.MultiRegion
	k.tags = in.Tags
	if in.MultiRegion {
		delete(s.region(r.Region).keys, k.id)
		k.id = "mrk-" + strings.ReplaceAll(k.id, "-", "")
		k.arn = "arn:" + partition(r.Region) + ":kms:" + r.Region + ":" + s.srv.Account + ":key/" + k.id
		s.region(r.Region).keys[k.id] = k
	}
	out := map[string]any{"KeyMetadata": k.metadata()}
	s.mu.Unlock()
	return out, nil
}

// checkPolicy refuses a key policy that is not a policy document of at most 32 KiB, or
// (unless bypassed) that would not let the caller change it again: KMS's policy lockout
// safety check.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html
// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-key-policy-lockout
func (s *Service) checkPolicy(r *awsemu.Request, policy string, bypass bool) error {
	if len(policy) > 32768 {
		return validation("1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 32768")
	}
	probe := &key{arn: "arn:" + partition(r.Region) + ":kms:" + r.Region + ":" + s.srv.Account + ":key/00000000-0000-0000-0000-000000000000", account: s.srv.Account, policy: policy}
	principals, err := iam.PolicyPrincipals(policy)
	if err != nil {
		return awsjson.Errorf("MalformedPolicyDocumentException", "%s", err.Error())
	}
	// A user or role the policy names must exist (KMS resolves principals when it stores
	// the policy): checked for the accounts the endpoint serves.
	for _, p := range principals {
		world, ok := s.srv.Peer(accountOf(p))
		if !ok {
			continue
		}
		if checker, ok := world.IAM.(interface{ PrincipalExists(string) bool }); ok && !checker.PrincipalExists(p) {
			return awsjson.Errorf("MalformedPolicyDocumentException", "Policy contains a statement with one or more invalid principals.")
		}
	}
	if bypass {
		return nil
	}
	if ok, _ := s.authorize(probe, s.srv.PrincipalOf(r), "kms:PutKeyPolicy", nil); !ok {
		return awsjson.Errorf("MalformedPolicyDocumentException", "The new key policy will not allow you to update the key policy in the future.")
	}
	return nil
}

func (s *Service) describeKey(r *awsemu.Request) (any, error) {
	var in struct {
		KeyID string `json:"KeyId"`
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	owner, k, err := s.authorizedKey(r, in.KeyID, true, true, "kms:DescribeKey")
	if err != nil {
		return nil, err
	}
	owner.mu.Lock()
	defer owner.mu.Unlock()
	return map[string]any{"KeyMetadata": k.metadata()}, nil
}

// page cuts items at Marker (an index) and Limit (1..1000, default 100).
// https://docs.aws.amazon.com/kms/latest/APIReference/API_ListKeys.html
func page[T any](items []T, limit int, marker string) (out []T, next string, err error) {
	if limit == 0 {
		limit = 100
	}
	if limit < 1 || limit > 1000 {
		return nil, "", validation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 1000", limit)
	}
	start := 0
	if marker != "" {
		n, convErr := strconv.Atoi(marker)
		if convErr != nil || n < 0 || n > len(items) {
			return nil, "", awsjson.Errorf("InvalidMarkerException", "Invalid marker %s", marker)
		}
		start = n
	}
	end := min(start+limit, len(items))
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[start:end], next, nil
}

func pageOut(out map[string]any, next string) map[string]any {
	out["Truncated"] = next != ""
	if next != "" {
		out["NextMarker"] = next
	}
	return out
}

func (s *Service) listKeys(r *awsemu.Request) (any, error) {
	var in struct {
		Limit  int
		Marker string
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	rs := s.region(r.Region)
	keys := make([]*key, 0, len(rs.keys))
	for _, k := range rs.keys {
		keys = append(keys, k)
	}
	s.mu.Unlock()
	sort.Slice(keys, func(i, j int) bool {
		if !keys[i].created.Equal(keys[j].created) {
			return keys[i].created.Before(keys[j].created)
		}
		return keys[i].id < keys[j].id
	})
	got, next, err := page(keys, in.Limit, in.Marker)
	if err != nil {
		return nil, err
	}
	list := make([]map[string]string, 0, len(got))
	for _, k := range got {
		list = append(list, map[string]string{"KeyId": k.id, "KeyArn": k.arn})
	}
	return pageOut(map[string]any{"Keys": list}, next), nil
}

// The alias name rules: alias/ prefix, [a-zA-Z0-9/_-], at most 256 characters, and not
// alias/aws/ (reserved for AWS managed keys).
// https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html
var aliasNameRE = regexp.MustCompile(`^[a-zA-Z0-9:/_-]+$`)

func (s *Service) createAlias(r *awsemu.Request) (any, error) {
	var in struct {
		AliasName   string `json:"AliasName"`
		TargetKeyID string `json:"TargetKeyId"`
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	switch {
	case len(in.AliasName) > 256:
		return nil, validation("1 validation error detected: Value '%s' at 'aliasName' failed to satisfy constraint: Member must have length less than or equal to 256", in.AliasName)
	case !strings.HasPrefix(in.AliasName, "alias/"):
		return nil, validation("Invalid identifier")
	case strings.HasPrefix(in.AliasName, "alias/aws/"):
		return nil, &awsjson.Error{Status: http.StatusBadRequest, Code: "NotAuthorizedException"}
	case strings.Contains(in.AliasName, ":"):
		return nil, validation("%s contains invalid characters for an alias", in.AliasName)
	case !aliasNameRE.MatchString(in.AliasName):
		return nil, validation("1 validation error detected: Value '%s' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$", in.AliasName)
	case strings.HasPrefix(in.TargetKeyID, "alias/") || strings.Contains(in.TargetKeyID, ":alias/"):
		return nil, validation("Aliases must refer to keys. Not aliases")
	}
	owner, k, err := s.lookup(r, in.TargetKeyID, false, false)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeCall(r, owner, k, "kms:CreateAlias"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.region(r.Region)
	arn := "arn:" + partition(r.Region) + ":kms:" + r.Region + ":" + s.srv.Account + ":" + in.AliasName
	if rs.aliases[in.AliasName] != nil {
		return nil, awsjson.Errorf("AlreadyExistsException", "An alias with the name %s already exists", arn)
	}
	if k.manager != "CUSTOMER" {
		return nil, &awsjson.Error{Status: http.StatusBadRequest, Code: "NotAuthorizedException"}
	}
	now := s.srv.Clock.Now().UTC()
	rs.aliases[in.AliasName] = &alias{name: in.AliasName, arn: arn, target: k.id, created: now, updated: now}
	return struct{}{}, nil
}

func (s *Service) deleteAlias(r *awsemu.Request) (any, error) {
	var in struct{ AliasName string }
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(in.AliasName, "alias/") {
		return nil, validation("Invalid identifier")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.region(r.Region)
	if rs.aliases[in.AliasName] == nil {
		return nil, s.missing(r.Region, in.AliasName)
	}
	delete(rs.aliases, in.AliasName)
	return struct{}{}, nil
}

func (s *Service) listAliases(r *awsemu.Request) (any, error) {
	var in struct {
		KeyID  string `json:"KeyId"`
		Limit  int
		Marker string
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	target := ""
	if in.KeyID != "" {
		_, k, err := s.lookup(r, in.KeyID, false, false)
		if err != nil {
			return nil, err
		}
		target = k.id
	}
	s.mu.Lock()
	rs := s.region(r.Region)
	var list []*alias
	for _, a := range rs.aliases {
		if target == "" || a.target == target {
			list = append(list, a)
		}
	}
	s.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].name < list[j].name })
	got, next, err := page(list, in.Limit, in.Marker)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(got))
	for _, a := range got {
		out = append(out, map[string]any{"AliasName": a.name, "AliasArn": a.arn, "TargetKeyId": a.target,
			"CreationDate": awsjson.Time(a.created), "LastUpdatedDate": awsjson.Time(a.updated)})
	}
	return pageOut(map[string]any{"Aliases": out}, next), nil
}

// checkPolicyName: a key has one policy, "default".
// https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html
func checkPolicyName(name string) error {
	if name != "" && name != "default" {
		return notFound("No such policy exists")
	}
	return nil
}

func (s *Service) getKeyPolicy(r *awsemu.Request) (any, error) {
	var in struct {
		KeyID      string `json:"KeyId"`
		PolicyName string
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	owner, k, err := s.lookup(r, in.KeyID, false, false)
	if err != nil {
		return nil, err
	}
	if err := checkPolicyName(in.PolicyName); err != nil {
		return nil, err
	}
	if err := s.authorizeCall(r, owner, k, "kms:GetKeyPolicy"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]any{"Policy": k.policy, "PolicyName": "default"}, nil
}

func (s *Service) putKeyPolicy(r *awsemu.Request) (any, error) {
	var in struct {
		KeyID                          string `json:"KeyId"`
		PolicyName, Policy             string
		BypassPolicyLockoutSafetyCheck bool
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	owner, k, err := s.lookup(r, in.KeyID, false, false)
	if err != nil {
		return nil, err
	}
	if err := checkPolicyName(in.PolicyName); err != nil {
		return nil, err
	}
	if in.Policy == "" {
		return nil, validation("1 validation error detected: Value null at 'policy' failed to satisfy constraint: Member must not be null")
	}
	if err := s.authorizeCall(r, owner, k, "kms:PutKeyPolicy"); err != nil {
		return nil, err
	}
	if err := s.checkPolicy(r, in.Policy, in.BypassPolicyLockoutSafetyCheck); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if k.manager != "CUSTOMER" {
		return nil, &awsjson.Error{Status: http.StatusBadRequest, Code: "NotAuthorizedException"}
	}
	k.policy = in.Policy
	return struct{}{}, nil
}

func (s *Service) listKeyPolicies(r *awsemu.Request) (any, error) {
	var in struct {
		KeyID string `json:"KeyId"`
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	if _, _, err := s.authorizedKey(r, in.KeyID, false, false, "kms:ListKeyPolicies"); err != nil {
		return nil, err
	}
	return map[string]any{"PolicyNames": []string{"default"}, "Truncated": false}, nil
}

// grantOperations are the operations a grant may allow.
// https://docs.aws.amazon.com/kms/latest/developerguide/grants.html#terms-grant-operations
var grantOperations = map[string]bool{
	"Decrypt": true, "Encrypt": true, "GenerateDataKey": true, "GenerateDataKeyPair": true,
	"GenerateDataKeyPairWithoutPlaintext": true, "GenerateDataKeyWithoutPlaintext": true, "ReEncryptFrom": true,
	"ReEncryptTo": true, "Sign": true, "Verify": true, "GetPublicKey": true, "CreateGrant": true,
	"RetireGrant": true, "DescribeKey": true, "GenerateMac": true, "VerifyMac": true, "DeriveSharedSecret": true,
}

func (s *Service) createGrant(r *awsemu.Request) (any, error) {
	var in struct {
		KeyID             string `json:"KeyId"`
		GranteePrincipal  string
		RetiringPrincipal string
		Operations        []string
		Constraints       map[string]any
		Name              string
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	owner, k, err := s.lookup(r, in.KeyID, false, true)
	if err != nil {
		return nil, err
	}
	if in.GranteePrincipal == "" {
		return nil, validation("1 validation error detected: Value null at 'granteePrincipal' failed to satisfy constraint: Member must not be null")
	}
	if len(in.Operations) == 0 {
		return nil, validation("1 validation error detected: Value null at 'operations' failed to satisfy constraint: Member must not be null")
	}
	for _, op := range in.Operations {
		if !grantOperations[op] {
			return nil, validation("1 validation error detected: Value '[%s]' at 'operations' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [Decrypt, Encrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext, ReEncryptFrom, ReEncryptTo, Sign, Verify, GetPublicKey, CreateGrant, RetireGrant, DescribeKey, GenerateDataKeyPair, GenerateDataKeyPairWithoutPlaintext, GenerateMac, VerifyMac, DeriveSharedSecret]]", strings.Join(in.Operations, ", "))
		}
	}
	if err := s.authorizeCall(r, owner, k, "kms:CreateGrant"); err != nil {
		return nil, err
	}
	owner.mu.Lock()
	defer owner.mu.Unlock()
	// A grant on a disabled key is refused.
	// https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateGrant.html
	if k.state != "Enabled" {
		return nil, awsjson.Errorf("DisabledException", "%s is disabled.", k.arn)
	}
	id := strings.ReplaceAll(owner.newID("grant"), "-", "")
	g := &grant{id: id + id[:32], token: "AQpAM2RhZTk1MGMyNTk2ZmZmMzEyYWVhOWViN2I1MWM0Mzc3MzUzMjM5" + id, name: in.Name,
		grantee: in.GranteePrincipal, retiring: in.RetiringPrincipal, operations: in.Operations, constraints: in.Constraints,
		created: owner.srv.Clock.Now().UTC(), issuingAccountRoot: "arn:" + partition(r.Region) + ":iam::" + r.Account + ":root"}
	k.grants = append(k.grants, g)
	return map[string]any{"GrantId": g.id, "GrantToken": g.token}, nil
}

func (s *Service) listGrants(r *awsemu.Request) (any, error) {
	var in struct {
		KeyID            string `json:"KeyId"`
		GrantID          string `json:"GrantId"`
		GranteePrincipal string
		Limit            int
		Marker           string
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	owner, k, err := s.authorizedKey(r, in.KeyID, false, true, "kms:ListGrants")
	if err != nil {
		return nil, err
	}
	owner.mu.Lock()
	var list []*grant
	for _, g := range k.grants {
		if (in.GrantID == "" || g.id == in.GrantID) && (in.GranteePrincipal == "" || g.grantee == in.GranteePrincipal) {
			list = append(list, g)
		}
	}
	owner.mu.Unlock()
	got, next, err := page(list, in.Limit, in.Marker)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(got))
	for _, g := range got {
		m := map[string]any{"KeyId": k.arn, "GrantId": g.id, "CreationDate": awsjson.Time(g.created),
			"GranteePrincipal": g.grantee, "IssuingAccount": g.issuingAccountRoot, "Operations": g.operations}
		if g.name != "" {
			m["Name"] = g.name
		}
		if g.retiring != "" {
			m["RetiringPrincipal"] = g.retiring
		}
		if len(g.constraints) > 0 {
			m["Constraints"] = g.constraints
		}
		out = append(out, m)
	}
	return pageOut(map[string]any{"Grants": out}, next), nil
}

func (s *Service) revokeGrant(r *awsemu.Request) (any, error) {
	var in struct {
		KeyID   string `json:"KeyId"`
		GrantID string `json:"GrantId"`
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	owner, k, err := s.authorizedKey(r, in.KeyID, false, true, "kms:RevokeGrant")
	if err != nil {
		return nil, err
	}
	owner.mu.Lock()
	defer owner.mu.Unlock()
	for i, g := range k.grants {
		if g.id == in.GrantID {
			k.grants = append(k.grants[:i], k.grants[i+1:]...)
			return struct{}{}, nil
		}
	}
	return nil, notFound("Grant ID %s not found", in.GrantID)
}

func (s *Service) setState(r *awsemu.Request, action, state string) (any, error) {
	var in struct {
		KeyID string `json:"KeyId"`
	}
	if err := awsjson.Decode(r, &in); err != nil {
		return nil, err
	}
	_, k, err := s.authorizedKey(r, in.KeyID, false, false, action)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if k.manager != "CUSTOMER" {
		return nil, &awsjson.Error{Status: http.StatusBadRequest, Code: "NotAuthorizedException"}
	}
	k.state = state
	return struct{}{}, nil
}

// disableKey and enableKey switch a customer managed key's state.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_DisableKey.html
func (s *Service) disableKey(r *awsemu.Request) (any, error) {
	return s.setState(r, "kms:DisableKey", "Disabled")
}

// https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKey.html
func (s *Service) enableKey(r *awsemu.Request) (any, error) {
	return s.setState(r, "kms:EnableKey", "Enabled")
}
