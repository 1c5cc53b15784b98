package query

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// EC2Namespace is the xmlns of every ec2 query response.
const EC2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

// STSNamespace is the xmlns of STS responses.
const STSNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// IAMNamespace is the xmlns of IAM responses.
const IAMNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"

// Items is an ec2 list: its elements are written as <item> children. The enclosing
// element is always written, empty or not (<imagesSet/> as EC2 does).
type Items[T any] struct {
	Items []T `xml:"item"`
}

// Members is an awsQuery list: its elements are written as <member> children; the
// enclosing element is always written.
type Members[T any] struct {
	Members []T `xml:"member"`
}

// Time formats a timestamp as the query protocols do (ISO 8601, UTC, milliseconds).
func Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// Bool formats a boolean ("true"/"false").
func Bool(b bool) string { return strconv.FormatBool(b) }

// innerXML marshals body's fields (not an element around them).
func innerXML(body any) ([]byte, error) {
	if body == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	enc := xml.NewEncoder(&buf)
	const wrap = "awsemuwrap"
	if err := enc.EncodeElement(body, xml.StartElement{Name: xml.Name{Local: wrap}}); err != nil {
		return nil, fmt.Errorf("encoding response: %w", err)
	}
	if err := enc.Flush(); err != nil {
		return nil, fmt.Errorf("encoding response: %w", err)
	}
	b := buf.Bytes()
	b = bytes.TrimPrefix(b, []byte("<"+wrap+">"))
	b = bytes.TrimSuffix(b, []byte("</"+wrap+">"))
	return b, nil
}

func escape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func writeXML(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// EC2Body returns the XML document of an ec2 response to action: body's fields (a struct
// with xml tags, or nil) follow <requestId> inside <ActionResponse>.
func EC2Body(action, requestID string, body any) ([]byte, error) {
	inner, err := innerXML(body)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, "<%sResponse xmlns=%q><requestId>%s</requestId>", action, EC2Namespace, escape(requestID))
	b.Write(inner)
	fmt.Fprintf(&b, "</%sResponse>", action)
	return b.Bytes(), nil
}

// WriteEC2 writes a 200 ec2 response to action (see EC2Body). An encoding error is
// answered as an InternalError.
func WriteEC2(w http.ResponseWriter, action, requestID string, body any) {
	b, err := EC2Body(action, requestID, body)
	if err != nil {
		WriteEC2Error(w, http.StatusInternalServerError, "InternalError", err.Error(), requestID)
		return
	}
	writeXML(w, http.StatusOK, b)
}

// WriteEC2Error writes an error in the ec2 shape:
// <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>.
func WriteEC2Error(w http.ResponseWriter, status int, code, message, requestID string) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, "<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>",
		escape(code), escape(message), escape(requestID))
	writeXML(w, status, b.Bytes())
}

// ResponseBody returns the XML document of an awsQuery response to action: result's fields
// inside <ActionResult> (omitted when result is nil), then ResponseMetadata.
func ResponseBody(action, xmlns, requestID string, result any) ([]byte, error) {
	inner, err := innerXML(result)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, "<%sResponse xmlns=%q>", action, xmlns)
	if result != nil {
		fmt.Fprintf(&b, "<%sResult>", action)
		b.Write(inner)
		fmt.Fprintf(&b, "</%sResult>", action)
	}
	fmt.Fprintf(&b, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>", escape(requestID), action)
	return b.Bytes(), nil
}

// WriteQuery writes a 200 awsQuery response to action (see ResponseBody). An encoding error
// is answered as an InternalFailure.
func WriteQuery(w http.ResponseWriter, action, xmlns, requestID string, result any) {
	b, err := ResponseBody(action, xmlns, requestID, result)
	if err != nil {
		WriteQueryError(w, http.StatusInternalServerError, "InternalFailure", err.Error(), requestID)
		return
	}
	writeXML(w, http.StatusOK, b)
}

// WriteQueryError writes an error in the awsQuery shape:
// <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>.
// Type is Receiver for 5xx statuses and Sender otherwise.
func WriteQueryError(w http.ResponseWriter, status int, code, message, requestID string) {
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, "<ErrorResponse><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>",
		typ, escape(code), escape(message), escape(requestID))
	writeXML(w, status, b.Bytes())
}
