package ec2

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/winami/winami/awsemu/protocol/query"
)

// Key pairs: CreateKeyPair, DescribeKeyPairs and DeleteKeyPair, enough for an Image
// Builder infrastructure configuration's keyPair to name something that exists (or not).
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateKeyPair.html

type keyPair struct {
	ID          string
	Name        string
	Type        string // rsa, ed25519
	Fingerprint string
	Created     time.Time
	Tags        map[string]string
}

type keyPairXML struct {
	KeyPairID      string               `xml:"keyPairId"`
	KeyType        string               `xml:"keyType"`
	Tags           *query.Items[tagXML] `xml:"tagSet,omitempty"`
	CreateTime     string               `xml:"createTime"`
	KeyName        string               `xml:"keyName"`
	KeyFingerprint string               `xml:"keyFingerprint"`
}

func (k *keyPair) xml() keyPairXML {
	x := keyPairXML{KeyPairID: k.ID, KeyType: k.Type, CreateTime: query.Time(k.Created), KeyName: k.Name, KeyFingerprint: k.Fingerprint}
	if len(k.Tags) > 0 {
		t := tagSet(k.Tags)
		x.Tags = &t
	}
	return x
}

// colonHex writes b as lower-case hex pairs joined by colons, as EC2 shows fingerprints.
func colonHex(b []byte) string {
	parts := make([]string, len(b))
	for i, c := range b {
		parts[i] = fmt.Sprintf("%02x", c)
	}
	return strings.Join(parts, ":")
}

// newKeyMaterial makes a private key of type kt and its fingerprint as EC2 computes it
// for keys it creates: RSA, the SHA-1 digest of the DER-encoded private key (PKCS#8);
// ED25519, the base64-encoded SHA-256 digest of the public key in OpenSSH's wire form.
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_KeyPairInfo.html
func newKeyMaterial(kt string) (material, fingerprint string, err error) {
	if kt == "ed25519" {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return "", "", fmt.Errorf("generating key: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return "", "", fmt.Errorf("encoding key: %w", err)
		}
		blob := binary.BigEndian.AppendUint32(nil, uint32(len("ssh-ed25519")))
		blob = append(blob, "ssh-ed25519"...)
		blob = binary.BigEndian.AppendUint32(blob, uint32(len(pub)))
		sum := sha256.Sum256(append(blob, pub...))
		return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
			base64.StdEncoding.EncodeToString(sum[:]), nil
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", fmt.Errorf("generating key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", fmt.Errorf("encoding key: %w", err)
	}
	sum := sha1.Sum(der)
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})), colonHex(sum[:]), nil
}

func (s *Service) createKeyPair(c *call) (any, *apiError) {
	name := c.v.Get("KeyName")
	if name == "" {
		return nil, errf("MissingParameter", "The request must contain the parameter KeyName")
	}
	if len(name) > 255 {
		return nil, errf("InvalidParameterValue", "Value (%s) for parameter keyName is invalid. Length exceeds maximum of 255.", name)
	}
	kt := c.v.Get("KeyType")
	if kt == "" {
		kt = "rsa"
	}
	if kt != "rsa" && kt != "ed25519" {
		return nil, errf("InvalidParameterValue", "Value (%s) for parameter keyType is invalid. Valid values are rsa, ed25519.", kt)
	}
	if f := c.v.Get("KeyFormat"); f != "" && f != "pem" {
		return nil, errf("InvalidParameterValue", "Value (%s) for parameter keyFormat is invalid. awsemu creates pem keys only.", f)
	}
	if c.rs.keyPairs[name] != nil {
		return nil, errf("InvalidKeyPair.Duplicate", "The keypair '%s' already exists.", name)
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	material, fp, err := newKeyMaterial(kt)
	if err != nil {
		return nil, &apiError{status: 500, code: "InternalError", message: err.Error()}
	}
	k := &keyPair{ID: newID("key"), Name: name, Type: kt, Fingerprint: fp, Created: c.now,
		Tags: copyTags(tagSpecs(c.v, "TagSpecification")["key-pair"])}
	c.rs.keyPairs[name] = k
	return struct {
		KeyPairID      string               `xml:"keyPairId"`
		Tags           *query.Items[tagXML] `xml:"tagSet,omitempty"`
		KeyName        string               `xml:"keyName"`
		KeyFingerprint string               `xml:"keyFingerprint"`
		KeyMaterial    string               `xml:"keyMaterial"`
	}{k.ID, k.xml().Tags, k.Name, k.Fingerprint, material}, nil
}

var keyPairFilters = knownSet("key-pair-id", "fingerprint", "key-name", "key-type")

func (s *Service) describeKeyPairs(c *call) (any, *apiError) {
	names, ids := c.v.List("KeyName"), c.v.List("KeyPairId")
	fs, aerr := parseFilters(c.v, keyPairFilters)
	if aerr != nil {
		return nil, aerr
	}
	byID := map[string]*keyPair{}
	for _, k := range c.rs.keyPairs {
		byID[k.ID] = k
	}
	for _, n := range names {
		if c.rs.keyPairs[n] == nil {
			return nil, errf("InvalidKeyPair.NotFound", "The key pair '%s' does not exist", n)
		}
	}
	for _, id := range ids {
		if byID[id] == nil {
			return nil, errf("InvalidKeyPair.NotFound", "The key pair '%s' does not exist", id)
		}
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	out := struct {
		Keys query.Items[keyPairXML] `xml:"keySet"`
	}{query.Items[keyPairXML]{Items: []keyPairXML{}}}
	for _, n := range slices.Sorted(maps.Keys(c.rs.keyPairs)) {
		k := c.rs.keyPairs[n]
		if (len(names) > 0 && !containsStr(names, n)) || (len(ids) > 0 && !containsStr(ids, k.ID)) {
			continue
		}
		if !matchFilters(fs, k.Tags, func(f string) []string {
			switch f {
			case "key-pair-id":
				return []string{k.ID}
			case "fingerprint":
				return []string{k.Fingerprint}
			case "key-type":
				return []string{k.Type}
			}
			return []string{k.Name}
		}) {
			continue
		}
		out.Keys.Items = append(out.Keys.Items, k.xml())
	}
	return out, nil
}

// deleteKeyPair deletes by name or id. Deleting a key pair that does not exist succeeds,
// as EC2's does (the response's return is true either way).
func (s *Service) deleteKeyPair(c *call) (any, *apiError) {
	name, id := c.v.Get("KeyName"), c.v.Get("KeyPairId")
	if name == "" && id == "" {
		return nil, errf("MissingParameter", "The request must contain the parameter KeyName or KeyPairId")
	}
	if err := c.dryRun(); err != nil {
		return nil, err
	}
	var found *keyPair
	for n, k := range c.rs.keyPairs {
		if (name != "" && n == name) || (id != "" && k.ID == id) {
			found = k
		}
	}
	out := struct {
		Return    bool   `xml:"return"`
		KeyPairID string `xml:"keyPairId,omitempty"`
	}{Return: true}
	if found != nil {
		delete(c.rs.keyPairs, found.Name)
		out.KeyPairID = found.ID
	}
	return out, nil
}
