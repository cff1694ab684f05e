// RUN: gps-opt %s --convert-gps-to-linalg="inline-noise=true" | FileCheck %s

// With inline-noise, a site's noise is a linalg.generic whose element
// (r, c) computes number r * 3 + c of the runtime's stream: no call, and
// no declaration of gps_rt_normal. The key is gps_rt_noise_key(key, site,
// step), computed once outside the loop nest: key + ((site << 32) | (step &
// 0xFFFFFFFF)) * 0x9E3779B97F4A7C15, here site "h0" = 0 and the step t.
// CHECK-NOT:   gps_rt_normal
// CHECK-LABEL: func.func @noise(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x3xf32>, %[[KEY:[^:]*]]: i64, %[[STREAM:[^:]*]]: i64, %[[T:[^:]*]]: index)
// CHECK-DAG:     %[[STEP:.*]] = arith.index_cast %[[T]] : index to i64
// CHECK-DAG:     %[[SITE:.*]] = arith.constant 0 : i64
// CHECK:         %[[HI:.*]] = arith.shli %[[SITE]], %[[C32:.*]] : i64
// CHECK:         %[[MASK:.*]] = arith.constant 4294967295 : i64
// CHECK:         %[[LO:.*]] = arith.andi %[[STEP]], %[[MASK]] : i64
// CHECK:         %[[OR:.*]] = arith.ori %[[HI]], %[[LO]] : i64
// CHECK:         %[[GOLDEN:.*]] = arith.constant -7046029254386353131 : i64
// CHECK:         %[[MUL:.*]] = arith.muli %[[OR]], %[[GOLDEN]] : i64
// CHECK:         %[[SITEKEY:.*]] = arith.addi %[[KEY]], %[[MUL]] : i64
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "parallel"]
// CHECK-SAME:      outs(%{{.*}} : tensor<?x3xf32>)
// CHECK:           %[[R:.*]] = linalg.index 0
// CHECK:           %[[RI:.*]] = arith.index_cast %[[R]]
// CHECK:           %[[C:.*]] = linalg.index 1
// CHECK:           %[[CI:.*]] = arith.index_cast %[[C]]
// CHECK:           %[[RC:.*]] = arith.muli %[[RI]], %{{.*}} : i64
// CHECK:           %[[N:.*]] = arith.addi %[[RC]], %[[CI]] : i64
// Ten rounds: twenty 32 x 32 -> 64 bit products.
// CHECK-COUNT-20:  arith.mului_extended
// CHECK:           math.log %{{.*}} : f64
// CHECK:           math.sqrt %{{.*}} : f64
// CHECK:           math.sin %{{.*}} : f64
// CHECK:           math.cos %{{.*}} : f64
// CHECK:           arith.truncf %{{.*}} : f64 to f32
// CHECK-NOT:     arith.mului_extended
// CHECK:         return
func.func @noise(%x: tensor<?x3xf32>, %key: i64, %stream: i64, %t: index) -> tensor<?x3xf32> attributes {gps.batch_arg = 0 : i64} {
  %a = gps.noise "h0"[%t] key %key stream %stream : tensor<?x3xf32>
  return %a : tensor<?x3xf32>
}
