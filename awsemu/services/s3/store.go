package s3

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// BucketRegion implements awsemu.S3Store: the region of the account's bucket.
func (s *Service) BucketRegion(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[name]
	if b == nil {
		return "", false
	}
	return b.region, true
}

// PutObject implements awsemu.S3Store: it writes an object into the account's bucket as
// principalARN (a principal of the account; "" writes without a check), whose IAM policies
// must allow s3:PutObject on arn:aws:s3:::<bucket>/<key>. A bucket of another account is
// refused (bucket policies are not modeled).
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
func (s *Service) PutObject(bucketName, key string, body []byte, principalARN string) error {
	s.mu.Lock()
	b, e := s.bucketOf(bucketName)
	s.mu.Unlock()
	if e != nil {
		return fmt.Errorf("putting s3://%s/%s: %s: %s", bucketName, key, e.code, e.message)
	}
	if principalARN != "" && s.srv.IAM != nil {
		if ok, reason := s.srv.IAM.Authorize(principalARN, "s3:PutObject", "arn:aws:s3:::"+bucketName+"/"+key, nil); !ok {
			return fmt.Errorf("putting s3://%s/%s: AccessDenied: %s", bucketName, key, reason)
		}
	}
	if principalARN == "" {
		principalARN = s.srv.CallerARN()
	}
	s.store(b, key, body, principalARN)
	return nil
}

// Object is an object as tests and other services read it.
type Object struct {
	Key  string
	Body []byte
	// Owner is the principal that wrote it.
	Owner string
}

// Objects lists the objects of the account's bucket under prefix, by key.
func (s *Service) Objects(bucketName, prefix string) []Object {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[bucketName]
	if b == nil {
		return nil
	}
	var out []Object
	for k, o := range b.objects {
		if strings.HasPrefix(k, prefix) {
			out = append(out, Object{Key: k, Body: append([]byte(nil), o.body...), Owner: o.owner})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
