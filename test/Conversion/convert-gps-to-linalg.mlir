// RUN: gps-opt %s --split-input-file --convert-gps-to-linalg | FileCheck %s

// The batch size is read once from the gps.batch_arg argument and sizes
// every new tensor; elementwise ops become parallel linalg.generics.
// CHECK-DAG:   #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @elementwise(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x2xf32>, %[[Y:[^:]*]]: tensor<?x2xf32>)
// CHECK-NEXT:    %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[N:.*]] = tensor.dim %[[X]], %[[C0]] : tensor<?x2xf32>
// CHECK-NEXT:    %[[E0:.*]] = tensor.empty(%[[N]]) : tensor<?x2xf32>
// CHECK-NEXT:    %[[A:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ID]], #[[$ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[Y]] : tensor<?x2xf32>, tensor<?x2xf32>) outs(%[[E0]] : tensor<?x2xf32>)
// CHECK:           arith.addf
// CHECK:         tensor.empty(%[[N]])
// CHECK-NEXT:    %[[R:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[A]] :
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: f32, %[[G:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[POS:.*]] = arith.cmpf ogt, %[[IN]], %[[Z]] : f32
// CHECK-NEXT:      %[[SEL:.*]] = arith.select %[[POS]], %[[G]], %[[Z]] : f32
// CHECK-NEXT:      linalg.yield %[[SEL]] : f32
// Softplus as max(x, 0) + log1p(exp(-|x|)).
// CHECK:         linalg.generic {{.*}} ins(%[[R]] :
// CHECK:           arith.maximumf
// CHECK-NEXT:      math.absf
// CHECK-NEXT:      arith.negf
// CHECK-NEXT:      math.exp
// CHECK-NEXT:      math.log1p
// CHECK-NEXT:      arith.addf
// CHECK:         linalg.generic
// CHECK:           arith.divf
// CHECK:         linalg.generic
// CHECK:           arith.divf
// CHECK:         linalg.generic
// CHECK:           math.exp
// CHECK-NOT:     gps.
// CHECK:         return
func.func @elementwise(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>) attributes {gps.batch_arg = 0 : i64} {
  %a = gps.add %x, %y : tensor<?x2xf32>
  %r = gps.relu_grad %x, %a : tensor<?x2xf32>
  %s = gps.softplus %r : tensor<?x2xf32>
  %g = gps.sigmoid %s : tensor<?x2xf32>
  %d = gps.div %g, %y : tensor<?x2xf32>
  %e = gps.exp %d : tensor<?x2xf32>
  return %a, %s, %e : tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>
}

// -----

// gps.gemm becomes linalg.matmul from a zero fill; a transposed operand is
// an indexing map, not a copy.
// CHECK-DAG:   #[[$AT:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG:   #[[$B:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG:   #[[$C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG:   #[[$A:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG:   #[[$BT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @gemm(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x3xf32>, %[[W:[^:]*]]: tensor<3x2xf32>, %[[DY:[^:]*]]: tensor<?x2xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[X]]
// CHECK-NEXT:    %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:    %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x2xf32>
// CHECK-NEXT:    %[[F:.*]] = linalg.fill ins(%[[Z]] : f32) outs(%[[E]] : tensor<?x2xf32>)
// CHECK-NEXT:    %[[Y:.*]] = linalg.matmul ins(%[[X]], %[[W]] : tensor<?x3xf32>, tensor<3x2xf32>) outs(%[[F]] : tensor<?x2xf32>)
// CHECK:         %[[E2:.*]] = tensor.empty() : tensor<3x2xf32>
// CHECK-NEXT:    %[[F2:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E2]] : tensor<3x2xf32>)
// CHECK-NEXT:    %[[DW:.*]] = linalg.matmul indexing_maps = [#[[$AT]], #[[$B]], #[[$C]]] ins(%[[X]], %[[DY]] : tensor<?x3xf32>, tensor<?x2xf32>) outs(%[[F2]] : tensor<3x2xf32>)
// CHECK:         %[[DX:.*]] = linalg.matmul indexing_maps = [#[[$A]], #[[$BT]], #[[$C]]] ins(%[[DY]], %[[W]] : tensor<?x2xf32>, tensor<3x2xf32>)
// CHECK-NEXT:    return %[[Y]], %[[DW]], %[[DX]]
func.func @gemm(%x: tensor<?x3xf32>, %w: tensor<3x2xf32>, %dy: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<3x2xf32>, tensor<?x3xf32>) attributes {gps.batch_arg = 0 : i64} {
  %y = gps.gemm %x, %w : tensor<?x3xf32>, tensor<3x2xf32> -> tensor<?x2xf32>
  %dw = gps.gemm %x, %dy {transpose_lhs} : tensor<?x3xf32>, tensor<?x2xf32> -> tensor<3x2xf32>
  %dx = gps.gemm %dy, %w {transpose_rhs} : tensor<?x2xf32>, tensor<3x2xf32> -> tensor<?x3xf32>
  return %y, %dw, %dx : tensor<?x2xf32>, tensor<3x2xf32>, tensor<?x3xf32>
}

// -----

// Concatenation and slices are tensor slices; broadcasts, sums and their
// adjoints are generics with the matching maps; the mean divides by the
// batch size.
// CHECK-DAG:   #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[$ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG:   #[[$COL:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG:   #[[$ALL:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @structural(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x2xf32>, %[[V:[^:]*]]: tensor<2xf32>, %[[P:[^:]*]]: tensor<3x2xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[X]]
// CHECK-NEXT:    %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x4xf32>
// CHECK-NEXT:    %[[C1:.*]] = tensor.insert_slice %[[X]] into %[[E]][0, 0] [%[[N]], 2] [1, 1] : tensor<?x2xf32> into tensor<?x4xf32>
// CHECK-NEXT:    %[[C2:.*]] = tensor.insert_slice %[[X]] into %[[C1]][0, 2] [%[[N]], 2] [1, 1] : tensor<?x2xf32> into tensor<?x4xf32>
// CHECK-NEXT:    %[[S:.*]] = tensor.extract_slice %[[C2]][0, 1] [%[[N]], 2] [1, 1] : tensor<?x4xf32> to tensor<?x2xf32>
// CHECK-NEXT:    tensor.empty(%[[N]])
// CHECK-NEXT:    %[[BC:.*]] = linalg.generic {indexing_maps = [#[[$ROW]], #[[$ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[V]] : tensor<2xf32>)
// CHECK:         %[[SF:.*]] = linalg.fill {{.*}} -> tensor<?x1xf32>
// CHECK-NEXT:    %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$COL]]], iterator_types = ["parallel", "reduction"]} ins(%[[S]] : tensor<?x2xf32>) outs(%[[SF]] : tensor<?x1xf32>)
// CHECK:           arith.addf
// CHECK:         %[[EXP:.*]] = linalg.generic {indexing_maps = [#[[$COL]], #[[$ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[SUM]] : tensor<?x1xf32>)
// CHECK:         %[[CF:.*]] = linalg.fill {{.*}} -> tensor<2xf32>
// CHECK-NEXT:    %[[CS:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]]], iterator_types = ["reduction", "parallel"]} ins(%[[BC]] : tensor<?x2xf32>) outs(%[[CF]] : tensor<2xf32>)
// CHECK:         %[[MF:.*]] = linalg.fill {{.*}} -> tensor<f32>
// CHECK-NEXT:    %[[TOT:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ALL]]], iterator_types = ["reduction", "reduction"]} ins(%[[SUM]] : tensor<?x1xf32>) outs(%[[MF]] : tensor<f32>)
// CHECK:         %[[T:.*]] = tensor.extract %[[TOT]][] : tensor<f32>
// CHECK-NEXT:    %[[NI:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK-NEXT:    %[[NF:.*]] = arith.sitofp %[[NI]] : i64 to f32
// CHECK-NEXT:    %[[MEAN:.*]] = arith.divf %[[T]], %[[NF]] : f32
// gps.batch_size, then a splat of it.
// CHECK-NEXT:    %[[NI2:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK-NEXT:    %[[BS:.*]] = arith.sitofp %[[NI2]] : i64 to f32
// CHECK-NEXT:    %[[SE:.*]] = tensor.empty(%[[N]]) : tensor<?x2xf32>
// CHECK-NEXT:    %[[SP:.*]] = linalg.fill ins(%[[BS]] : f32) outs(%[[SE]] : tensor<?x2xf32>)
// A row of a parameter, and a zero matrix with one row set: one
// elementwise generic, each element its row's input or zero.
// CHECK-NEXT:    %[[ROW2:.*]] = tensor.extract_slice %[[P]][2, 0] [1, 2] [1, 1] : tensor<3x2xf32> to tensor<2xf32>
// CHECK-NEXT:    %[[PE:.*]] = tensor.empty() : tensor<3x2xf32>
// CHECK-NEXT:    %[[PR:.*]] = linalg.generic {indexing_maps = [#[[$ROW]], #[[$ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[ROW2]] : tensor<2xf32>) outs(%[[PE]] : tensor<3x2xf32>)
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[I:.*]] = linalg.index 0 : index
// CHECK-NEXT:      %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[C1:.*]] = arith.constant 1 : index
// CHECK-NEXT:      %[[HERE:.*]] = arith.cmpi eq, %[[I]], %[[C1]] : index
// CHECK-NEXT:      %[[PV:.*]] = arith.select %[[HERE]], %[[IN]], %[[Z]] : f32
// CHECK-NEXT:      linalg.yield %[[PV]] : f32
// CHECK-NEXT:    } -> tensor<3x2xf32>
// CHECK-NEXT:    return %[[C2]], %[[SUM]], %[[EXP]], %[[CS]], %[[SP]], %[[MEAN]], %[[BS]], %[[PR]]
func.func @structural(%x: tensor<?x2xf32>, %v: tensor<2xf32>, %p: tensor<3x2xf32>) -> (tensor<?x4xf32>, tensor<?x1xf32>, tensor<?x2xf32>, tensor<2xf32>, tensor<?x2xf32>, f32, f32, tensor<3x2xf32>) attributes {gps.batch_arg = 0 : i64} {
  %c = gps.concat %x, %x : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x4xf32>
  %s = gps.slice %c[1, 2] : tensor<?x4xf32> -> tensor<?x2xf32>
  %b = gps.broadcast %v : tensor<2xf32> -> tensor<?x2xf32>
  %sum = gps.sum %s : tensor<?x2xf32> -> tensor<?x1xf32>
  %e = gps.expand %sum : tensor<?x1xf32> -> tensor<?x2xf32>
  %cs = gps.col_sum %b : tensor<?x2xf32> -> tensor<2xf32>
  %m = gps.mean %sum : tensor<?x1xf32> -> f32
  %n = gps.batch_size : f32
  %sp = gps.splat %n : tensor<?x2xf32>
  %r = gps.row %p[2] : tensor<3x2xf32> -> tensor<2xf32>
  %pr = gps.put_rows %r at [1] : tensor<2xf32> -> tensor<3x2xf32>
  return %c, %sum, %e, %cs, %sp, %m, %n, %pr : tensor<?x4xf32>, tensor<?x1xf32>, tensor<?x2xf32>, tensor<2xf32>, tensor<?x2xf32>, f32, f32, tensor<3x2xf32>
}

// -----

// A gradient read by rows, summed: acc + put_rows(a, b at [2, 0]) adds a to
// row 2 of acc and b to row 0, each an extract_slice, an add and an
// insert_slice, and leaves row 1 as it is. No matrix-wide op, no zero rows
// (the put_rows' own lowering, unused, is left to canonicalize).
// CHECK-LABEL: func.func @add_put_rows(
// CHECK-SAME:    %[[ACC:[^:]*]]: tensor<3x2xf32>, %[[A:[^:]*]]: tensor<2xf32>, %[[B:[^:]*]]: tensor<2xf32>
// CHECK:         %[[UNUSED:.*]] = linalg.generic
// CHECK-SAME:      outs(%{{.*}} : tensor<3x2xf32>)
// CHECK-NOT:     %[[UNUSED]]{{\b}}
// CHECK:         %[[R2:.*]] = tensor.extract_slice %[[ACC]][2, 0] [1, 2] [1, 1] : tensor<3x2xf32> to tensor<2xf32>
// CHECK:         %[[S2:.*]] = linalg.generic
// CHECK-SAME:      ins(%[[R2]], %[[A]] :
// CHECK:           arith.addf
// CHECK:         %[[P2:.*]] = tensor.insert_slice %[[S2]] into %[[ACC]][2, 0] [1, 2] [1, 1]
// CHECK:         %[[R0:.*]] = tensor.extract_slice %[[P2]][0, 0] [1, 2] [1, 1]
// CHECK:         %[[S0:.*]] = linalg.generic
// CHECK-SAME:      ins(%[[R0]], %[[B]] :
// CHECK:         %[[P0:.*]] = tensor.insert_slice %[[S0]] into %[[P2]][0, 0] [1, 2] [1, 1]
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[P0]]
func.func @add_put_rows(%acc: tensor<3x2xf32>, %a: tensor<2xf32>, %b: tensor<2xf32>, %x: tensor<?x2xf32>) -> tensor<3x2xf32> attributes {gps.batch_arg = 3 : i64} {
  %pr = gps.put_rows %a, %b at [2, 0] : tensor<2xf32>, tensor<2xf32> -> tensor<3x2xf32>
  %s = gps.add %pr, %acc : tensor<3x2xf32>
  return %s : tensor<3x2xf32>
}

// -----

// Noise calls the runtime's Philox generator with the run's key, the caller's
// stream, the site's number (sites numbered by sorted name: "b" is 0, "h0" is
// 1) and the step (0 outside the loop); the runtime derives the key of the
// (site, step) pair.
// CHECK:       func.func private @gps_rt_normal(memref<?x?xf32>, i64, i64, i64, i64) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @noise(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x2xf32>, %[[KEY:[^:]*]]: i64, %[[STREAM:[^:]*]]: i64)
// CHECK:         %[[N:.*]] = tensor.dim %[[X]]
// CHECK-NEXT:    %[[SITE:.*]] = arith.constant 1 : i64
// CHECK-NEXT:    %[[STEP:.*]] = arith.constant 0 : i64
// CHECK-NEXT:    %[[BUF:.*]] = memref.alloc(%[[N]]) : memref<?x2xf32>
// CHECK-NEXT:    %[[ANY:.*]] = memref.cast %[[BUF]] : memref<?x2xf32> to memref<?x?xf32>
// CHECK-NEXT:    call @gps_rt_normal(%[[ANY]], %[[KEY]], %[[STREAM]], %[[SITE]], %[[STEP]]) : (memref<?x?xf32>, i64, i64, i64, i64) -> ()
// CHECK-NEXT:    %[[H0:.*]] = bufferization.to_tensor %[[BUF]] restrict writable : memref<?x2xf32> to tensor<?x2xf32>
// The step loop 1 to 2 runs its induction variable from 0, t = 1 + iv.
// CHECK-DAG:     %[[LB:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[UB:.*]] = arith.constant 2 : index
// CHECK-DAG:     %[[ONE:.*]] = arith.constant 1 : index
// CHECK:         %[[R:.*]] = scf.for %[[IV:.*]] = %[[LB]] to %[[UB]] step %[[ONE]] iter_args(%{{.*}} = %[[X]]) -> (tensor<?x2xf32>) {
// CHECK-NEXT:      %[[LO:.*]] = arith.constant 1 : index
// CHECK-NEXT:      %[[T:.*]] = arith.addi %[[LO]], %[[IV]] : index
// CHECK-NEXT:      %[[B:.*]] = arith.constant 0 : i64
// CHECK-NEXT:      %[[TI:.*]] = arith.index_cast %[[T]] : index to i64
// CHECK:           func.call @gps_rt_normal(%{{.*}}, %[[KEY]], %[[STREAM]], %[[B]], %[[TI]])
// CHECK:           scf.yield
// CHECK:         return %[[H0]], %[[R]]
func.func @noise(%x: tensor<?x2xf32>, %key: i64, %stream: i64) -> (tensor<?x2xf32>, tensor<?x2xf32>) attributes {gps.batch_arg = 0 : i64} {
  %a = gps.noise "h0" key %key stream %stream : tensor<?x2xf32>
  %r = gps.for 1 to 2 iter_args(%x : tensor<?x2xf32>) -> tensor<?x2xf32> {
  ^bb0(%t: index, %c: tensor<?x2xf32>):
    %z = gps.noise "b"[%t] key %key stream %stream : tensor<?x2xf32>
    gps.yield %z : tensor<?x2xf32>
  }
  return %a, %r : tensor<?x2xf32>, tensor<?x2xf32>
}

// -----

// A tape of 3 batched vectors is a tensor<3x?x2xf32>, written and read one
// slot at a time; a reversed loop counts t down from its upper bound.
// CHECK-LABEL: func.func @tapes(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x2xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[X]]
// CHECK-NEXT:    %[[TAPE:.*]] = tensor.empty(%[[N]]) : tensor<3x?x2xf32>
// CHECK:         %[[F:.*]]:2 = scf.for %[[IV:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[H:.*]] = %[[X]], %[[TP:.*]] = %[[TAPE]]) -> (tensor<?x2xf32>, tensor<3x?x2xf32>) {
// CHECK-NEXT:      %[[LO:.*]] = arith.constant 2 : index
// CHECK-NEXT:      %[[T:.*]] = arith.addi %[[LO]], %[[IV]] : index
// CHECK:           math.tanh
// CHECK:           %[[SLOT:.*]] = arith.subi %[[T]],
// CHECK-NEXT:      %[[TP1:.*]] = tensor.insert_slice %[[H]] into %[[TP]][%[[SLOT]], 0, 0] [1, %[[N]], 2] [1, 1, 1] : tensor<?x2xf32> into tensor<3x?x2xf32>
// CHECK-NEXT:      scf.yield %{{.*}}, %[[TP1]] : tensor<?x2xf32>, tensor<3x?x2xf32>
// CHECK:         scf.for %[[RIV:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(
// CHECK-NEXT:      %[[HI:.*]] = arith.constant 4 : index
// CHECK-NEXT:      %[[RT:.*]] = arith.subi %[[HI]], %[[RIV]] : index
// CHECK:           %[[RSLOT:.*]] = arith.subi %[[RT]],
// CHECK-NEXT:      tensor.extract_slice %[[F]]#1[%[[RSLOT]], 0, 0] [1, %[[N]], 2] [1, 1, 1] : tensor<3x?x2xf32> to tensor<?x2xf32>
// CHECK-NOT:     gps.
func.func @tapes(%x: tensor<?x2xf32>) -> tensor<?x2xf32> attributes {gps.batch_arg = 0 : i64} {
  %t0 = gps.tape_new : !gps.tape<3 x tensor<?x2xf32>>
  %r:2 = gps.for 2 to 4 iter_args(%x, %t0 : tensor<?x2xf32>, !gps.tape<3 x tensor<?x2xf32>>) -> tensor<?x2xf32>, !gps.tape<3 x tensor<?x2xf32>> {
  ^bb0(%t: index, %h: tensor<?x2xf32>, %tape: !gps.tape<3 x tensor<?x2xf32>>):
    %n = gps.tanh %h : tensor<?x2xf32>
    %c2 = arith.constant 2 : index
    %i = arith.subi %t, %c2 : index
    %tape1 = gps.tape_push %h into %tape[%i] : tensor<?x2xf32> into !gps.tape<3 x tensor<?x2xf32>>
    gps.yield %n, %tape1 : tensor<?x2xf32>, !gps.tape<3 x tensor<?x2xf32>>
  }
  %g = gps.for 2 to 4 reverse iter_args(%x : tensor<?x2xf32>) -> tensor<?x2xf32> {
  ^bb0(%t: index, %d: tensor<?x2xf32>):
    %c2 = arith.constant 2 : index
    %i = arith.subi %t, %c2 : index
    %h = gps.tape_get %r#1[%i] : !gps.tape<3 x tensor<?x2xf32>> -> tensor<?x2xf32>
    %m = gps.mul %d, %h : tensor<?x2xf32>
    gps.yield %m : tensor<?x2xf32>
  }
  return %g : tensor<?x2xf32>
}

// -----

// An entry point on memrefs reads the batch size with memref.dim.
// CHECK-LABEL: func.func @on_memrefs(
// CHECK-SAME:    %[[X:[^:]*]]: memref<?x?xf32>)
// CHECK-NEXT:    %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[N:.*]] = memref.dim %[[X]], %[[C0]] : memref<?x?xf32>
// CHECK:         tensor.empty(%[[N]]) : tensor<?x1xf32>
func.func @on_memrefs(%x: memref<?x?xf32>) -> tensor<?x1xf32> attributes {gps.batch_arg = 0 : i64} {
  %z = gps.zeros : tensor<?x1xf32>
  return %z : tensor<?x1xf32>
}
