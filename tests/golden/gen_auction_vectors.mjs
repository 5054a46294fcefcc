// Golden vectors for jitmaker.auction, produced by the official TypeScript SDK (@drift-labs/sdk).
//
// Regenerate (node >= 18; node_modules is git-ignored and never committed):
//
//   mkdir -p /tmp/golden-node && cd /tmp/golden-node && npm init -y && \
//       npm install @drift-labs/sdk@2.156.0
//   cd /work/main   # the repository root
//   GOLDEN_NODE_DIR=/tmp/golden-node node tests/golden/gen_auction_vectors.mjs
//
// (Or `npm install @drift-labs/sdk` inside tests/golden and drop GOLDEN_NODE_DIR.)
// Writes tests/golden/auction_vectors.json; tests/golden/test_auction_vectors.py checks every
// case against jitmaker.auction. The case generator is a seeded PRNG, so a rerun with the same
// SDK version reproduces the file byte for byte.
//
// What is recorded, per case, at `sdk_slot`:
//   auction_raw         getAuctionPrice(order, sdk_slot, oracle)            (SDK, untouched)
//   auction_std         standardizePrice(auction_raw, tick, direction)      (SDK)
//   auction_std_floor   standardizePrice(max(auction_raw, tick), ...)       (SDK; oracle-offset)
//   auction_std_pm      standardizePrice(min(max(raw, tick), 1e6), ...)     (SDK; oracle-offset,
//                       prediction-market cases only)
//   is_complete / has_auction_price                                          (SDK)
//   limit_raw           getLimitPrice(order, {price: oracle}, sdk_slot, fallback)  (SDK; null = none)
//   limit_std, limit_std_floor, limit_std_pm                                 (as above, on limit_raw)
// The SDK's auction functions neither tick-standardize nor floor oracle-offset prices at one
// tick (they floor at 1), and its getLimitPrice neither standardizes nor floors at tick; the
// program does both (protocol.md §4, §12). The Python test picks the field that applies the
// program's rule and documents why. For a slot before order.slot the SDK extrapolates
// backwards (negative elapsed) and the program fails; our contract prices it as the first
// slot, so such cases are evaluated by the SDK at sdk_slot = order.slot (the raw value at the
// real slot is kept as auction_raw_unclamped for the record).
// Every BN is written as a decimal string (JSON numbers lose precision beyond 2^53).

import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(
  process.env.GOLDEN_NODE_DIR
    ? path.join(path.resolve(process.env.GOLDEN_NODE_DIR), 'resolve-from-here.js')
    : import.meta.url,
);
const sdk = require('@drift-labs/sdk');
const sdkVersion = require('@drift-labs/sdk/package.json').version;
const { BN } = sdk;

// The SDK's standardizePrice logs "price is zero" for 0; keep stdout clean.
const realLog = console.log;
console.log = (...args) => {
  if (args.length === 1 && args[0] === 'price is zero') return;
  realLog(...args);
};

// ---- deterministic PRNG (mulberry32) ----
let seed = 0x5eed2026;
function rand() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const randint = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1)); // inclusive, |values| < 2^53
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

// Our raw enum values (jitmaker.accounts.enums) and the SDK's variant objects.
const TYPES = ['market', 'limit', 'triggerMarket', 'triggerLimit', 'oracle'];
const DIRS = ['long', 'short'];
const ORACLE_TRIGGER_MARKET = 2;
const PM_CAP = new BN(1_000_000);

// order kinds we generate: [label, order_type index, oracle-offset auction?]
const KINDS = [
  ['market', 0, false],
  ['limit_fixed', 1, false],
  ['limit_oracle_pegged', 1, true],
  ['trigger_market', 2, false],
  ['trigger_market_oracle', 2, true],
  ['trigger_limit', 3, false],
  ['oracle', 4, true],
];

function pickTick() {
  return pick([1, 1, 10, 100, 100, 1000, 10000, randint(1, 10000)]);
}

function pickOracle(small) {
  if (small) return randint(1, 2_000_000); // prediction-market / floor territory
  return pick([
    randint(1, 5_000), // tiny prices: exercises the tick floor
    randint(50_000, 2_000_000),
    randint(100_000_000, 200_000_000),
    randint(1_000_000_000, 120_000_000_000),
  ]);
}

function pickDuration() {
  const r = rand();
  if (r < 0.08) return 0;
  if (r < 0.16) return 1;
  if (r < 0.24) return 60;
  return randint(0, 60);
}

// Offsets for an oracle-offset auction, valid per validate_order (long: start <= end <= offset).
// Kept within +-2e9 so an oracle_price_offset next to them still fits its i32 field.
const OFFSET_BOUND = 2_000_000_000;
const clampOffset = (x) => Math.max(-OFFSET_BOUND, Math.min(OFFSET_BOUND, x));
function oracleOffsets(dir, oracle) {
  const span = Math.max(10, Math.floor(oracle / pick([20, 100, 1000])));
  let a = clampOffset(randint(-span, span));
  let b = clampOffset(randint(-span, span));
  if (rand() < 0.15) a = clampOffset(-oracle - randint(0, span)); // push below the floor
  if (rand() < 0.1) b = a;
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  return dir === 'long' ? [lo, hi] : [hi, lo];
}

// Absolute prices for a fixed auction, valid (long: start <= end; short: start >= end; > 0).
function fixedPrices(dir, oracle) {
  const span = Math.max(10, Math.floor(oracle / pick([20, 100, 1000])));
  const a = Math.max(1, oracle + randint(-span, span));
  const b = Math.max(1, oracle + randint(-span, span));
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  return dir === 'long' ? [lo, hi] : [hi, lo];
}

function makeCase(id) {
  const [kind, typeIdx, oracleAuction] = pick(KINDS);
  const dir = pick(DIRS);
  const pm = rand() < 0.07;
  const oracle = pickOracle(pm);
  const tick = pickTick();
  const duration = pickDuration();
  const orderSlot = randint(1_000_000, 350_000_000);

  let start;
  let end;
  let price = 0;
  let offset = 0;
  let bitFlags = 0;
  if (oracleAuction) {
    [start, end] = oracleOffsets(dir, oracle);
    if (kind === 'limit_oracle_pegged') {
      // validate_order: long end <= offset, short end >= offset; offset != 0
      offset = end + (dir === 'long' ? randint(0, 50_000) : -randint(0, 50_000));
      if (offset === 0) offset = dir === 'long' ? 1 : -1;
    } else if (kind === 'oracle' && rand() < 0.5) {
      offset = end + (dir === 'long' ? randint(0, 50_000) : -randint(0, 50_000));
    }
    if (kind === 'trigger_market_oracle') bitFlags |= ORACLE_TRIGGER_MARKET;
  } else {
    [start, end] = fixedPrices(dir, oracle);
    if (kind === 'limit_fixed' || kind === 'trigger_limit' || (kind === 'market' && rand() < 0.5)) {
      // a limit at or beyond the end price (validate_order), sometimes exactly the end
      price = dir === 'long' ? end + randint(0, 100_000) : Math.max(1, end - randint(0, 100_000));
    }
  }
  if (rand() < 0.05 && kind === 'limit_fixed') {
    // a plain resting limit: no auction at all
    start = 0;
    end = 0;
  }
  if (rand() < 0.3) bitFlags |= pick([1, 4, 8]); // unrelated flags must not matter

  // query slots: before, first, within, last live, first complete, well after
  const r = rand();
  let slot;
  if (r < 0.08) slot = orderSlot - randint(1, 5);
  else if (r < 0.16) slot = orderSlot;
  else if (r < 0.26) slot = orderSlot + duration;
  else if (r < 0.34) slot = orderSlot + duration + 1;
  else if (r < 0.4) slot = orderSlot + duration + randint(2, 500);
  else slot = orderSlot + randint(0, duration);

  const fallback = rand() < 0.4 ? randint(1, 3 * oracle + 10) : null;

  const dirObj = { [dir]: {} };
  const order = {
    slot: new BN(orderSlot),
    price: new BN(price),
    auctionStartPrice: new BN(start),
    auctionEndPrice: new BN(end),
    auctionDuration: duration,
    oraclePriceOffset: offset,
    orderType: { [TYPES[typeIdx]]: {} },
    direction: dirObj,
    bitFlags,
  };
  const sdkSlot = Math.max(slot, orderSlot);
  const oracleBN = new BN(oracle);
  const tickBN = new BN(tick);
  const std = (p) => sdk.standardizePrice(p, tickBN, dirObj).toString();

  const raw = sdk.getAuctionPrice(order, sdkSlot, oracleBN);
  const out = {
    id,
    kind,
    order: {
      order_type: typeIdx,
      direction: DIRS.indexOf(dir),
      slot: String(orderSlot),
      price: String(price),
      auction_start_price: String(start),
      auction_end_price: String(end),
      auction_duration: duration,
      oracle_price_offset: offset,
      bit_flags: bitFlags,
    },
    slot: String(slot),
    sdk_slot: String(sdkSlot),
    oracle: String(oracle),
    tick: String(tick),
    prediction_market: pm,
    fallback: fallback === null ? null : String(fallback),
    auction_raw: raw.toString(),
    auction_std: std(raw),
    is_complete: sdk.isAuctionComplete(order, sdkSlot),
    has_auction_price: sdk.hasAuctionPrice(order, sdkSlot),
  };
  if (slot !== sdkSlot) out.auction_raw_unclamped = sdk.getAuctionPrice(order, slot, oracleBN).toString();
  if (oracleAuction) {
    const floored = BN.max(raw, tickBN);
    out.auction_std_floor = std(floored);
    if (pm) out.auction_std_pm = std(BN.min(floored, PM_CAP));
  }
  const limitRaw = sdk.getLimitPrice(
    order,
    { price: oracleBN },
    sdkSlot,
    fallback === null ? undefined : new BN(fallback),
  );
  if (limitRaw === undefined || limitRaw === null) {
    out.limit_raw = null;
  } else {
    out.limit_raw = limitRaw.toString();
    out.limit_std = std(limitRaw);
    const floored = BN.max(limitRaw, tickBN);
    out.limit_std_floor = std(floored);
    if (pm) out.limit_std_pm = std(BN.min(floored, PM_CAP));
  }
  return out;
}

function makeStandardizeCase() {
  const dir = pick(DIRS);
  const tick = pickTick();
  const price = pick([0, randint(1, 100_000), randint(1, 2 ** 52), randint(1, 10) * tick]);
  const step = pick([1, 1000, 10_000_000, randint(1, 1_000_000_000)]);
  const base = pick([0, randint(1, 2 ** 52), randint(1, 10) * step]);
  const priceBN = new BN(price);
  const baseBN = new BN(base);
  return {
    price: String(price),
    tick: String(tick),
    direction: DIRS.indexOf(dir),
    std: sdk.standardizePrice(priceBN, new BN(tick), { [dir]: {} }).toString(),
    base: String(base),
    step: String(step),
    base_std: sdk.standardizeBaseAssetAmount(baseBN, new BN(step)).toString(),
  };
}

const N_AUCTION = 2400;
const N_STANDARDIZE = 400;
const cases = [];
for (let i = 0; i < N_AUCTION; i++) cases.push(makeCase(i));
const standardize = [];
for (let i = 0; i < N_STANDARDIZE; i++) standardize.push(makeStandardizeCase());

const doc = {
  generator: 'tests/golden/gen_auction_vectors.mjs',
  sdk: '@drift-labs/sdk',
  sdk_version: sdkVersion,
  functions: [
    'getAuctionPrice',
    'standardizePrice',
    'isAuctionComplete',
    'hasAuctionPrice',
    'getLimitPrice',
    'standardizeBaseAssetAmount',
  ],
  enums: { order_type: TYPES, direction: DIRS },
  cases,
  standardize,
};
const outPath = path.join(here, 'auction_vectors.json');
writeFileSync(outPath, JSON.stringify(doc, null, 0).replace(/\},\{"id"/g, '},\n{"id"') + '\n');
realLog(`wrote ${outPath}: ${cases.length} auction cases, ${standardize.length} standardize cases (sdk ${sdkVersion})`);
