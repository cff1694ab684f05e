// RUN: gps-opt %s --gps-decompose -split-input-file -verify-diagnostics

// A site whose distribution is not a gps.gaussian or gps.std_normal cannot
// be reparameterised.
func.func @opaque(%d: !gps.dist<gaussian, 2>, %key: i64 {gps.rng = "key"}, %stream: i64 {gps.rng = "stream"}) -> tensor<?x2xf32> {
  // expected-error @below {{'gps.sample' op draws from a distribution that cannot be reparameterised (only Gaussian sites train by reparameterisation)}}
  %z = gps.sample "z" from %d : !gps.dist<gaussian, 2> -> tensor<?x2xf32>
  return %z : tensor<?x2xf32>
}

// -----

// Nor can one in a function without the gps.rng key and stream.
func.func @no_rng(%mu: tensor<?x2xf32>, %lv: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %d = gps.gaussian %mu, %lv : tensor<?x2xf32> -> !gps.dist<gaussian, 2>
  // expected-error @below {{'gps.sample' op draws from a distribution that cannot be reparameterised}}
  %z = gps.sample "z" from %d : !gps.dist<gaussian, 2> -> tensor<?x2xf32>
  return %z : tensor<?x2xf32>
}

// -----

func.func @opaque_log_prob(%d: !gps.dist<gaussian, 2>, %x: tensor<?x2xf32>) -> tensor<?x1xf32> {
  // expected-error @below {{'gps.log_prob' op could not be decomposed into gps primitives}}
  %lp = gps.log_prob %d, %x : !gps.dist<gaussian, 2>, tensor<?x2xf32> -> tensor<?x1xf32>
  return %lp : tensor<?x1xf32>
}
