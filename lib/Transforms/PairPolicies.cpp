//===- PairPolicies.cpp - the gps-pair-policies pass ----------------------===//
//
// Builds the guide-led rollout of a model: the guide samples, the primary is
// replayed along the guide's samples, and the step loops of both policies are
// fused into one. A guide whose loop runs against the primary's (a diffusion
// model's fixed reverse process) runs whole first and keeps its loop's
// samples on tapes, which the primary's loop replays. A model without a
// guide gets an empty one, so that its rollout is the primary alone.
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSOps.h"
#include "gps/Dialect/GPS/GPSPasses.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "gps-pair-policies"

namespace gps {
#define GEN_PASS_DEF_PAIRPOLICIESPASS
#include "gps/Dialect/GPS/GPSPasses.h.inc"
} // namespace gps

using namespace mlir;
using namespace gps;

namespace {

/// A policy body split around its step loop.
struct PolicyParts {
  SmallVector<Operation *> pre, post;
  ForOp loop;
};

/// A guide sample: its value and distribution in the rollout.
struct GuideSite {
  Value value, dist;
};

/// A value of each step of the guide's loop, as the primary's loop reads
/// it: from a tape, or rebuilt when it is the same at every step.
struct StepValue {
  /// The tape of the per-step values; null when the value is invariant.
  Value tape;
  /// An invariant value: one defined before the loop, ...
  Value outer;
  /// ... or a splat of a constant.
  FloatAttr splat;
  Type type;
};

/// A site the guide samples in a step loop that runs against the primary's:
/// its values and its distribution's operands, by step.
struct TapedSite {
  StepValue value;
  /// gps.gaussian's mean and logvar; absent for gps.std_normal.
  std::optional<StepValue> mean, logvar;
  DistType type;
};

struct PairPoliciesPass
    : public gps::impl::PairPoliciesPassBase<PairPoliciesPass> {
  void runOnOperation() override;

private:
  LogicalResult pair(ModelOp model, PolicyOp guide, PolicyOp primary);
  /// Clones a guide op, recording the guide's sample sites.
  void cloneGuideOp(OpBuilder &b, Operation *op, IRMapping &map,
                    llvm::StringMap<GuideSite> &sites);
  /// Clones a primary op, replaying the sites the guide sampled; with
  /// `monteCarlo`, the replays have no closed-form KL.
  void clonePrimaryOp(OpBuilder &b, Operation *op, IRMapping &map,
                      const llvm::StringMap<GuideSite> &sites, Value step,
                      bool monteCarlo = false);
  /// Clones the guide's step loop, which runs against the primary's, with
  /// one tape per site value and distribution operand; fills `taped`.
  FailureOr<ForOp> cloneGuideLoopWithTapes(OpBuilder &b, ForOp loop,
                                           IRMapping &map,
                                           llvm::StringMap<TapedSite> &taped);
  /// Clones the primary's step loop, replaying the guide's taped samples.
  ForOp clonePrimaryLoopFromTapes(OpBuilder &b, ForOp loop, IRMapping &map,
                                  const llvm::StringMap<GuideSite> &sites,
                                  const llvm::StringMap<TapedSite> &taped);
  /// Pairs policies whose step loops run in opposite directions.
  /// Pairs the policies with the whole guide first, then the primary: for
  /// step loops in opposite directions, or a site the guide samples after
  /// its loop and the primary before its own (`why` says which). With two
  /// step loops the primary's replays the guide's from tapes, by Monte
  /// Carlo.
  LogicalResult pairGuideFirst(OpBuilder &b, PolicyParts &g, PolicyParts &p,
                               IRMapping &gmap, IRMapping &pmap,
                               StringRef why);
};

} // namespace

/// Splits a policy body into the ops before its step loop, the loop, and the
/// ops after it. Fails (with an error) on more than one loop.
static FailureOr<PolicyParts> splitPolicy(PolicyOp policy) {
  PolicyParts parts;
  for (Operation &op : policy.getBody().front().without_terminator()) {
    if (auto loop = llvm::dyn_cast<ForOp>(op)) {
      if (parts.loop) {
        // Located errors without the op attached: the op's IR means nothing
        // to the author of the .gps file.
        InFlightDiagnostic diag = emitError(loop.getLoc())
                                  << "cannot be paired: policy '"
                                  << policy.getSymName()
                                  << "' has more than one step loop";
        diag.attachNote(parts.loop.getLoc()) << "first step loop is here";
        return failure();
      }
      parts.loop = loop;
      continue;
    }
    (parts.loop ? parts.post : parts.pre).push_back(&op);
  }
  return parts;
}

void PairPoliciesPass::cloneGuideOp(OpBuilder &b, Operation *op,
                                    IRMapping &map,
                                    llvm::StringMap<GuideSite> &sites) {
  Operation *clone = b.clone(*op, map);
  if (auto sample = llvm::dyn_cast<SampleOp>(clone))
    sites[sample.getSite()] = {sample.getValue(), sample.getDist()};
}

void PairPoliciesPass::clonePrimaryOp(OpBuilder &b, Operation *op,
                                      IRMapping &map,
                                      const llvm::StringMap<GuideSite> &sites,
                                      Value step, bool monteCarlo) {
  auto sample = llvm::dyn_cast<SampleOp>(op);
  auto it = sample ? sites.find(sample.getSite()) : sites.end();
  if (it == sites.end()) {
    b.clone(*op, map);
    return;
  }
  const GuideSite &guide = it->second;
  ReplayOp::create(b, sample.getLoc(), sample.getSite(),
                   sample.getStep() ? step : Value(), guide.value, guide.dist,
                   map.lookup(sample.getDist()), monteCarlo);
  map.map(sample.getValue(), guide.value);
  ++numReplayed;
}

/// The slot of step `t` in a tape of `loop`: t - lower, whichever way the
/// loop runs.
static Value tapeSlot(OpBuilder &b, ForOp loop, Value t) {
  Location loc = loop.getLoc();
  return arith::SubIOp::create(
      b, loc, t, arith::ConstantIndexOp::create(b, loc, loop.getLower()));
}

/// Starts a clone of `loop` with `extraInits` after its own state; maps the
/// body's arguments and returns the new loop, its builder inside the body.
static ForOp startLoopClone(OpBuilder &b, ForOp loop, IRMapping &map,
                           ValueRange extraInits) {
  SmallVector<Value> inits;
  for (Value v : loop.getInits())
    inits.push_back(map.lookup(v));
  llvm::append_range(inits, extraInits);
  auto clone = ForOp::create(b, loop.getLoc(), ValueRange(inits).getTypes(),
                             loop.getLowerAttr(), loop.getUpperAttr(),
                             loop.getReverseAttr(), inits);
  SmallVector<Type> argTypes{b.getIndexType()};
  llvm::append_range(argTypes, ValueRange(inits).getTypes());
  SmallVector<Location> argLocs(argTypes.size(), loop.getLoc());
  Block *body = b.createBlock(&clone.getBody(), {}, argTypes, argLocs);
  for (BlockArgument arg : loop.getBody().front().getArguments())
    map.map(arg, body->getArgument(arg.getArgNumber()));
  return clone;
}

/// How the primary's loop reads `v`, a value of `loop`'s body: rebuilt
/// when it is the same at every step, else from a tape (left null here).
static StepValue stepValue(ForOp loop, Value v, IRMapping &map) {
  StepValue sv;
  sv.type = v.getType();
  if (!loop->isAncestor(v.getParentRegion()->getParentOp())) {
    sv.outer = map.lookup(v);
    return sv;
  }
  if (auto splat = v.getDefiningOp<SplatOp>()) {
    FloatAttr value;
    if (matchPattern(splat.getValue(), m_Constant(&value))) {
      sv.splat = value;
      return sv;
    }
  }
  return sv;
}

FailureOr<ForOp> PairPoliciesPass::cloneGuideLoopWithTapes(
    OpBuilder &b, ForOp loop, IRMapping &map,
    llvm::StringMap<TapedSite> &taped) {
  Block &body = loop.getBody().front();
  int64_t length = loop.getUpper() - loop.getLower() + 1;
  Location loc = loop.getLoc();
  // The values each site needs in the primary's loop: its sample, and the
  // mean and log-variance of its distribution. Those that vary by step
  // get a tape, in site order.
  struct Stored {
    SampleOp sample;
    SmallVector<std::pair<Value, StepValue>> values;
  };
  SmallVector<Stored> stored;
  SmallVector<Value> tapes, pushed;
  for (auto sample : body.getOps<SampleOp>()) {
    SmallVector<Value> values{sample.getValue()};
    Operation *def = sample.getDist().getDefiningOp();
    if (auto gaussian = llvm::dyn_cast_or_null<GaussianOp>(def)) {
      values.push_back(gaussian.getMean());
      values.push_back(gaussian.getLogvar());
    } else if (!llvm::isa_and_nonnull<StdNormalOp>(def)) {
      return emitError(sample.getLoc())
             << "cannot be paired: the guide's step loop runs against the "
                "primary's, so site '"
             << sample.getSite()
             << "' must be drawn from gauss(mean, logvar) or normal(0, 1)";
    }
    Stored entry{sample, {}};
    for (Value v : values) {
      StepValue sv = stepValue(loop, v, map);
      if (!sv.outer && !sv.splat) {
        tapes.push_back(TapeNewOp::create(
            b, loc, TapeType::get(b.getContext(), length, v.getType())));
        pushed.push_back(v);
      }
      entry.values.push_back({v, sv});
    }
    stored.push_back(std::move(entry));
  }

  OpBuilder::InsertionGuard guard(b);
  ForOp clone = startLoopClone(b, loop, map, tapes);
  Block *cbody = &clone.getBody().front();
  for (Operation &op : body.without_terminator())
    b.clone(op, map);
  Value slot = tapeSlot(b, loop, cbody->getArgument(0));
  SmallVector<Value> yielded;
  for (Value v : body.getTerminator()->getOperands())
    yielded.push_back(map.lookup(v));
  unsigned next = 1 + loop.getInits().size();
  for (Value v : pushed)
    yielded.push_back(TapePushOp::create(b, loc, map.lookup(v),
                                         cbody->getArgument(next++), slot));
  YieldOp::create(b, loc, yielded);

  for (auto [i, r] : llvm::enumerate(loop.getResults()))
    map.map(r, clone.getResult(i));
  unsigned k = loop.getNumResults();
  for (Stored &entry : stored) {
    for (auto &[v, sv] : entry.values)
      if (!sv.outer && !sv.splat)
        sv.tape = clone.getResult(k++);
    TapedSite site;
    site.type = llvm::cast<DistType>(entry.sample.getDist().getType());
    site.value = entry.values[0].second;
    if (entry.values.size() == 3) {
      site.mean = entry.values[1].second;
      site.logvar = entry.values[2].second;
    }
    taped[entry.sample.getSite()] = site;
  }
  return clone;
}

ForOp PairPoliciesPass::clonePrimaryLoopFromTapes(
    OpBuilder &b, ForOp loop, IRMapping &map,
    const llvm::StringMap<GuideSite> &sites,
    const llvm::StringMap<TapedSite> &taped) {
  OpBuilder::InsertionGuard guard(b);
  ForOp clone = startLoopClone(b, loop, map, {});
  Block &body = loop.getBody().front();
  Value step = clone.getBody().front().getArgument(0);
  Value slot = tapeSlot(b, loop, step);
  auto get = [&](const StepValue &v) -> Value {
    Location loc = loop.getLoc();
    if (v.tape)
      return TapeGetOp::create(b, loc, v.type, v.tape, slot);
    if (v.outer)
      return v.outer;
    Value scalar = arith::ConstantOp::create(b, loc, v.splat);
    return SplatOp::create(b, loc, v.type, scalar);
  };
  for (Operation &op : body.without_terminator()) {
    auto sample = llvm::dyn_cast<SampleOp>(op);
    auto it = sample && sample.getStep() ? taped.find(sample.getSite())
                                         : taped.end();
    if (it == taped.end()) {
      clonePrimaryOp(b, &op, map, sites, step, /*monteCarlo=*/true);
      continue;
    }
    const TapedSite &site = it->second;
    Location loc = sample.getLoc();
    Value value = get(site.value);
    Value dist = site.mean ? Value(GaussianOp::create(b, loc, site.type,
                                                      get(*site.mean),
                                                      get(*site.logvar)))
                           : Value(StdNormalOp::create(b, loc, site.type));
    ReplayOp::create(b, loc, sample.getSite(), step, value, dist,
                     map.lookup(sample.getDist()), /*monte_carlo=*/true);
    map.map(sample.getValue(), value);
    ++numReplayed;
  }
  SmallVector<Value> yielded;
  for (Value v : body.getTerminator()->getOperands())
    yielded.push_back(map.lookup(v));
  YieldOp::create(b, loop.getLoc(), yielded);
  for (auto [i, r] : llvm::enumerate(loop.getResults()))
    map.map(r, clone.getResult(i));
  return clone;
}

/// A site the primary samples before its step loop and the guide after its
/// own: a fused loop would replay it before the guide has drawn it.
static SampleOp siteSampledLate(const PolicyParts &g, const PolicyParts &p) {
  llvm::StringSet<> early;
  for (Operation *op : p.pre)
    if (auto sample = llvm::dyn_cast<SampleOp>(op))
      early.insert(sample.getSite());
  for (Operation *op : g.post)
    if (auto sample = llvm::dyn_cast<SampleOp>(op))
      if (early.contains(sample.getSite()))
        return sample;
  return {};
}

LogicalResult PairPoliciesPass::pairGuideFirst(OpBuilder &b, PolicyParts &g,
                                               PolicyParts &p, IRMapping &gmap,
                                               IRMapping &pmap,
                                               StringRef why) {
  // With a primary step loop, it replays the guide's loop from tapes, which
  // the gradient does not cross back into the guide: the guide must be a
  // fixed process (Sema reports this at the source for opposed loops).
  bool tapes = g.loop && p.loop;
  SmallVector<Operation *> guideOps(g.pre);
  if (g.loop)
    guideOps.push_back(g.loop);
  llvm::append_range(guideOps, g.post);
  for (Operation *op : guideOps) {
    if (!tapes)
      break;
    WalkResult walk = op->walk([&](Operation *nested) {
      if (!llvm::isa<ReadParamOp, CallOp>(nested))
        return WalkResult::advance();
      InFlightDiagnostic diag =
          emitError(nested->getLoc())
          << "cannot be paired: " << why
          << ", so the guide runs first and must not read trained "
             "parameters";
      diag.attachNote(p.loop.getLoc()) << "primary's step loop is here";
      return WalkResult::interrupt();
    });
    if (walk.wasInterrupted())
      return failure();
  }

  llvm::StringMap<GuideSite> sites;
  for (Operation *op : g.pre)
    cloneGuideOp(b, op, gmap, sites);
  llvm::StringMap<TapedSite> taped;
  if (tapes) {
    if (failed(cloneGuideLoopWithTapes(b, g.loop, gmap, taped)))
      return failure();
  } else if (g.loop) {
    cloneGuideOp(b, g.loop, gmap, sites);
  }
  for (Operation *op : g.post)
    cloneGuideOp(b, op, gmap, sites);
  // Without tapes (no primary loop) every guide sample precedes the
  // primary's in both orders, and the closed forms stay valid.
  for (Operation *op : p.pre)
    clonePrimaryOp(b, op, pmap, sites, Value(), /*monteCarlo=*/tapes);
  if (p.loop)
    clonePrimaryLoopFromTapes(b, p.loop, pmap, sites, taped);
  for (Operation *op : p.post)
    clonePrimaryOp(b, op, pmap, sites, Value(), /*monteCarlo=*/tapes);
  if (tapes)
    ++numOpposedLoops;
  return success();
}

LogicalResult PairPoliciesPass::pair(ModelOp model, PolicyOp guide,
                                     PolicyOp primary) {
  FailureOr<PolicyParts> g = splitPolicy(guide);
  FailureOr<PolicyParts> p = splitPolicy(primary);
  if (failed(g) || failed(p))
    return failure();
  if (g->loop && p->loop &&
      (g->loop.getLower() != p->loop.getLower() ||
       g->loop.getUpper() != p->loop.getUpper())) {
    InFlightDiagnostic diag =
        emitError(g->loop.getLoc())
        << "the guide's step loop cannot be paired with the primary's step "
           "loop: both must run over the same steps";
    diag.attachNote(p->loop.getLoc()) << "primary's step loop is here";
    return failure();
  }
  bool opposed = g->loop && p->loop &&
                 g->loop.getReverse() != p->loop.getReverse();

  // The rollout reads what either policy reads.
  SmallVector<Attribute> reads;
  SmallVector<Type> types;
  SmallVector<Location> locs;
  llvm::StringMap<unsigned> argIndex;
  for (PolicyOp policy : {guide, primary})
    for (auto [name, arg] :
         llvm::zip(policy.getReads().getAsRange<StringAttr>(),
                   policy.getBody().getArguments()))
      if (argIndex.try_emplace(name.getValue(), reads.size()).second) {
        reads.push_back(name);
        types.push_back(arg.getType());
        locs.push_back(arg.getLoc());
      }

  OpBuilder b(model.getContext());
  b.setInsertionPointAfter(primary->isBeforeInBlock(guide) ? guide : primary);
  // The model's symbols are its declarations: a policy may be called
  // `rollout`.
  std::string rolloutName = "rollout";
  for (unsigned i = 1; model.lookupSymbol(rolloutName); ++i)
    rolloutName = "rollout_" + std::to_string(i);
  auto rollout = RolloutOp::create(b, guide.getLoc(), rolloutName,
                                   guide.getSymName(), primary.getSymName(),
                                   b.getArrayAttr(reads), ArrayAttr());
  Block *body = b.createBlock(&rollout.getBody(), {}, types, locs);

  IRMapping gmap, pmap;
  for (auto [policy, map] : {std::pair{guide, &gmap}, {primary, &pmap}})
    for (auto [name, arg] :
         llvm::zip(policy.getReads().getAsValueRange<StringAttr>(),
                   policy.getBody().getArguments()))
      map->map(arg, body->getArgument(argIndex.lookup(name)));

  std::string why;
  if (opposed)
    why = "the guide's step loop runs against the primary's";
  else if (SampleOp late = siteSampledLate(*g, *p))
    why = ("the guide samples '" + late.getSite() +
           "' after its step loop but the primary before its own")
              .str();
  if (!why.empty()) {
    if (failed(pairGuideFirst(b, *g, *p, gmap, pmap, why))) {
      rollout.erase();
      return failure();
    }
    ReturnOp::create(b, rollout.getLoc());
    return success();
  }

  llvm::StringMap<GuideSite> sites;
  for (Operation *op : g->pre)
    cloneGuideOp(b, op, gmap, sites);
  for (Operation *op : p->pre)
    clonePrimaryOp(b, op, pmap, sites, Value());

  if (g->loop || p->loop) {
    ForOp proto = g->loop ? g->loop : p->loop;
    SmallVector<Value> inits;
    if (g->loop)
      for (Value v : g->loop.getInits())
        inits.push_back(gmap.lookup(v));
    if (p->loop)
      for (Value v : p->loop.getInits())
        inits.push_back(pmap.lookup(v));
    auto loop = ForOp::create(b, proto.getLoc(), ValueRange(inits).getTypes(),
                              proto.getLowerAttr(), proto.getUpperAttr(),
                              proto.getReverseAttr(), inits);
    SmallVector<Type> argTypes{b.getIndexType()};
    llvm::append_range(argTypes, ValueRange(inits).getTypes());
    SmallVector<Location> argLocs(argTypes.size(), proto.getLoc());
    {
      OpBuilder::InsertionGuard guard(b);
      Block *loopBody =
          b.createBlock(&loop.getBody(), {}, argTypes, argLocs);
      Value step = loopBody->getArgument(0);
      unsigned next = 1;
      SmallVector<Value> yielded;
      llvm::StringMap<GuideSite> loopSites = sites;
      // Maps a policy's loop arguments to the fused loop's, clones its body
      // with `cloneOp` and collects what it yields.
      auto fuseBody = [&](ForOp source, IRMapping &map,
                          llvm::function_ref<void(Operation *)> cloneOp) {
        Block &body = source.getBody().front();
        for (BlockArgument arg : body.getArguments())
          map.map(arg, arg.getArgNumber() == 0
                           ? step
                           : loopBody->getArgument(next++));
        for (Operation &op : body.without_terminator())
          cloneOp(&op);
        for (Value v : body.getTerminator()->getOperands())
          yielded.push_back(map.lookup(v));
      };
      if (g->loop)
        fuseBody(g->loop, gmap,
                 [&](Operation *op) { cloneGuideOp(b, op, gmap, loopSites); });
      if (p->loop)
        fuseBody(p->loop, pmap, [&](Operation *op) {
          clonePrimaryOp(b, op, pmap, loopSites, step);
        });
      YieldOp::create(b, proto.getLoc(), yielded);
    }
    unsigned next = 0;
    if (g->loop)
      for (Value r : g->loop.getResults())
        gmap.map(r, loop.getResult(next++));
    if (p->loop)
      for (Value r : p->loop.getResults())
        pmap.map(r, loop.getResult(next++));
    if (g->loop && p->loop)
      ++numFusedLoops;
  }

  for (Operation *op : g->post)
    cloneGuideOp(b, op, gmap, sites);
  for (Operation *op : p->post)
    clonePrimaryOp(b, op, pmap, sites, Value());
  ReturnOp::create(b, rollout.getLoc());
  LLVM_DEBUG(llvm::dbgs() << "paired " << guide.getSymName() << " with "
                          << primary.getSymName() << "\n");
  return success();
}

/// Adds an empty guide policy to a model that has none, after `primary`.
/// Paired with it, the primary samples every site itself.
static PolicyOp addEmptyGuide(ModelOp model, PolicyOp primary) {
  std::string name = "no_guide";
  for (unsigned i = 1; model.lookupSymbol(name); ++i)
    name = "no_guide_" + std::to_string(i);
  OpBuilder b(model.getContext());
  b.setInsertionPointAfter(primary);
  auto guide = PolicyOp::create(b, primary.getLoc(), name, Role::guide,
                                b.getArrayAttr({}));
  b.createBlock(&guide.getBody());
  ReturnOp::create(b, primary.getLoc());
  return guide;
}

void PairPoliciesPass::runOnOperation() {
  ModelOp model = getOperation();
  if (!model.getBody().getOps<RolloutOp>().empty())
    return;
  PolicyOp guide = model.getGuide(), primary = model.getPrimary();
  if (!primary)
    return;
  // Without a guide, the rollout is the primary alone.
  if (!guide)
    guide = addEmptyGuide(model, primary);
  if (failed(pair(model, guide, primary)))
    signalPassFailure();
}
