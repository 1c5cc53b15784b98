package servicequotas

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sync"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/awsjson"
)

// EC2 On-Demand standard instances quota.
const (
	// StandardVCPUQuotaCode is the code of "Running On-Demand Standard (A, C, D, H, I, M,
	// R, T, Z) instances", in vCPUs.
	StandardVCPUQuotaCode = "L-1216C47A"
	// DefaultStandardVCPUs is AWS's default value of the quota (what a new account has).
	DefaultStandardVCPUs = 5
	// SeedAppliedVCPUs is the value applied in every region of the emulated account until
	// a test sets another.
	SeedAppliedVCPUs = 256
)

// quotaDef is one quota the service knows.
type quotaDef struct {
	serviceCode, serviceName string
	quotaCode, quotaName     string
	unit                     string
	def                      float64
	adjustable               bool
	metric                   map[string]any
}

var quotas = []quotaDef{{
	serviceCode: "ec2", serviceName: "Amazon Elastic Compute Cloud (Amazon EC2)",
	quotaCode: StandardVCPUQuotaCode, quotaName: "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
	unit: "None", def: DefaultStandardVCPUs, adjustable: true,
	metric: map[string]any{
		"MetricNamespace": "AWS/Usage", "MetricName": "ResourceCount",
		"MetricDimensions": map[string]string{
			"Class": "Standard/OnDemand", "Resource": "vCPU", "Service": "EC2", "Type": "Resource",
		},
		"MetricStatisticRecommendation": "Maximum",
	},
}}

// Service is the Service Quotas service of the endpoint. It is safe for concurrent use.
type Service struct {
	// Protocol answers Operation, Serve, WriteError and Throttle (awsJson).
	awsjson.Protocol

	srv     *awsemu.Server
	mu      sync.Mutex
	applied map[string]float64 // region/service/quota → applied value; absent: the seed value
	removed map[string]bool    // region/service/quota → no applied value
}

// New returns the Service Quotas service, registers it on srv and adds the control path
// /_awsemu/servicequotas.
func New(srv *awsemu.Server) *Service {
	s := &Service{srv: srv, applied: map[string]float64{}, removed: map[string]bool{}}
	s.Handlers = map[string]awsjson.Handler{
		"GetServiceQuota":           s.getServiceQuota,
		"GetAWSDefaultServiceQuota": s.getAWSDefaultServiceQuota,
	}
	srv.Register(s)
	srv.HandleControl("servicequotas", http.HandlerFunc(s.serveControl))
	return s
}

// Name is the SigV4 signing name, "servicequotas".
func (s *Service) Name() string { return "servicequotas" }

func find(serviceCode, quotaCode string) (quotaDef, error) {
	known := false
	for _, q := range quotas {
		if q.serviceCode == serviceCode {
			known = true
			if q.quotaCode == quotaCode {
				return q, nil
			}
		}
	}
	if !known {
		return quotaDef{}, awsjson.Errorf("NoSuchResourceException", "This service is not available in the current Region. Choose a different Region or a different service.")
	}
	return quotaDef{}, awsjson.Errorf("NoSuchResourceException", "The request failed because the specified quota %s doesn't exist for service %s.", quotaCode, serviceCode)
}

var (
	serviceCodeRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{1,63}$`)
	quotaCodeRE   = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{1,128}$`)
)

type quotaIn struct {
	ServiceCode string `json:"ServiceCode"`
	QuotaCode   string `json:"QuotaCode"`
}

// requested decodes and validates a request's ServiceCode and QuotaCode and returns the
// quota they name.
func requested(r *awsemu.Request) (quotaDef, error) {
	var in quotaIn
	if err := awsjson.Decode(r, &in); err != nil {
		return quotaDef{}, err
	}
	if !serviceCodeRE.MatchString(in.ServiceCode) {
		return quotaDef{}, awsjson.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'serviceCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][a-zA-Z0-9-]{1,63}", in.ServiceCode)
	}
	if !quotaCodeRE.MatchString(in.QuotaCode) {
		return quotaDef{}, awsjson.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'quotaCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][a-zA-Z0-9-]{1,128}", in.QuotaCode)
	}
	return find(in.ServiceCode, in.QuotaCode)
}

func (s *Service) quotaOut(q quotaDef, region, account string, value float64) map[string]any {
	return map[string]any{
		"ServiceCode": q.serviceCode, "ServiceName": q.serviceName,
		"QuotaArn":  fmt.Sprintf("arn:aws:servicequotas:%s:%s:%s/%s", region, account, q.serviceCode, q.quotaCode),
		"QuotaCode": q.quotaCode, "QuotaName": q.quotaName,
		"Value": value, "Unit": q.unit, "Adjustable": q.adjustable, "GlobalQuota": false,
		"UsageMetric": q.metric,
	}
}

func key(region, serviceCode, quotaCode string) string {
	return region + "/" + serviceCode + "/" + quotaCode
}

func (s *Service) getServiceQuota(r *awsemu.Request) (any, error) {
	q, err := requested(r)
	if err != nil {
		return nil, err
	}
	k := key(r.Region, q.serviceCode, q.quotaCode)
	s.mu.Lock()
	value, set := s.applied[k]
	removed := s.removed[k]
	s.mu.Unlock()
	if removed {
		return nil, awsjson.Errorf("NoSuchResourceException", "The request failed because the specified quota %s has no applied value for this account in %s.", q.quotaCode, r.Region)
	}
	if !set {
		value = SeedAppliedVCPUs
	}
	out := s.quotaOut(q, r.Region, r.Account, value)
	out["QuotaAppliedAtLevel"] = "ACCOUNT"
	return map[string]any{"Quota": out}, nil
}

func (s *Service) getAWSDefaultServiceQuota(r *awsemu.Request) (any, error) {
	q, err := requested(r)
	if err != nil {
		return nil, err
	}
	// AWS's default quotas carry no account in their ARN.
	return map[string]any{"Quota": s.quotaOut(q, r.Region, "", q.def)}, nil
}

// ControlQuota is the body of POST /_awsemu/servicequotas: the applied value of one quota
// in one region, or nil to remove it.
type ControlQuota struct {
	Region      string   `json:"region"`
	ServiceCode string   `json:"serviceCode"`
	QuotaCode   string   `json:"quotaCode"`
	Value       *float64 `json:"value"`
}

func (s *Service) serveControl(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, msg string) {
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
	}
	if r.Method != http.MethodPost {
		fail(http.StatusMethodNotAllowed, "POST a quota: {region, serviceCode, quotaCode, value}")
		return
	}
	var c ControlQuota
	if !awsemu.DecodeControl(w, r, &c) {
		return
	}
	if c.Region == "" {
		fail(http.StatusBadRequest, "region is required (quotas are regional)")
		return
	}
	if _, err := find(c.ServiceCode, c.QuotaCode); err != nil {
		fail(http.StatusNotFound, err.Error())
		return
	}
	if c.Value != nil && *c.Value < 0 {
		fail(http.StatusBadRequest, "value must be 0 or more")
		return
	}
	k := key(c.Region, c.ServiceCode, c.QuotaCode)
	s.mu.Lock()
	if c.Value == nil {
		delete(s.applied, k)
		s.removed[k] = true
	} else {
		s.applied[k] = *c.Value
		delete(s.removed, k)
	}
	s.mu.Unlock()
	_, _ = w.Write([]byte(`{"ok":true}`))
}
