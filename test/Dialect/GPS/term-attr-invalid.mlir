// RUN: gps-opt %s -split-input-file -allow-unregistered-dialect -verify-diagnostics

// The verifier of #gps.term: a per-step term has both steps, in order, and
// names its sample site; a whole term names none.

// Steps come after the site, so steps without a site do not parse.
// expected-error @+1 {{expected 'site'}}
"test.op"() {t = #gps.term<kl_qp, steps 1 to 3>} : () -> ()

// -----

// expected-error @+1 {{a per-step term names its sample site, and only a per-step term does}}
"test.op"() {t = #gps.term<kl_qp, site "z">} : () -> ()

// -----

// expected-error @+1 {{per-step term runs from step 3 to the earlier step 1}}
"test.op"() {t = #gps.term<kl_qp, site "z", steps 3 to 1>} : () -> ()

// -----

// expected-error @+1 {{a per-step term's site has a name}}
"test.op"() {t = #gps.term<kl_qp, site "", steps 1 to 3>} : () -> ()

// -----

// A valid per-step term parses.
"test.op"() {t = #gps.term<kl_qp, site "z", steps 1 to 3>} : () -> ()
