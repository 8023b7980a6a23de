// Package krb5gss is a Kerberos V5 GSS-API initiator [RFC 4121] on
// github.com/jcmturner/gokrb5/v8, shaped as the stepping security context
// internal/nettcp/nns drives. gokrb5 supplies the KDC exchanges (AS and
// TGS by password), the AP-REQ and the RFC 3961 crypto; this package adds
// what gokrb5 lacks for NegotiateStream: mutual authentication (the AP-REP
// is decrypted with key usage 12 and its acceptor subkey and sequence
// number are taken), and sealed per-message Wrap tokens ([RFC 4121]
// §4.2.6.2: TOK_ID 05 04, confidentiality with key usages 24 out and 22
// in, the encrypted header copy, RRC rotation undone on receive, and
// sequence numbers checked).
package krb5gss
