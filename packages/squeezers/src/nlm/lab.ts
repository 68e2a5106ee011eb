/**
 * OpenCV's 8-bit linear-BGR <-> L*a*b* conversions (cv::COLOR_LBGR2Lab / cv::COLOR_Lab2LBGR), bit
 * for bit: the fixed-point paths RGB2Lab_b and Lab2RGBinteger of OpenCV 4.x
 * modules/imgproc/src/color_lab.cpp, with blueIdx = 0 and no sRGB gamma. This is what
 * fastNlMeansDenoisingColored (modules/photo/src/denoising.cpp) runs around the denoiser.
 *
 * The lookup tables are rebuilt here the way initLabTabs() builds them: OpenCV computes them in
 * softfloat (IEEE binary32, round-to-nearest-even), which Math.fround after each operation
 * reproduces; the constants come from the same bit patterns OpenCV stores (softdouble::fromRaw).
 * Agreement was checked over all 2^24 inputs of both directions (test/nlm.test.ts).
 */

const f = Math.fround;

// color.hpp / color_lab.cpp constants.
const LAB_SHIFT = 12; // xyz_shift
const GAMMA_SHIFT = 3;
const LAB_SHIFT2 = LAB_SHIFT + GAMMA_SHIFT;
const LAB_CBRT_TAB_SIZE_B = ((256 * 3) / 2) * (1 << GAMMA_SHIFT);
const INV_GAMMA_SHIFT = 12;
const INV_GAMMA_TAB_SIZE = 1 << INV_GAMMA_SHIFT;
const LUT_BASE = 1 << 14;
const LAB_BASE = 1 << 14;
const MIN_AB_VALUE = -8145;
const LAB2RGB_SHIFT = LAB_SHIFT + (14 - INV_GAMMA_SHIFT);

function fromRaw(bits: bigint): number {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setBigUint64(0, bits);
  return dv.getFloat64(0);
}

// sRGB2XYZ_D65, XYZ2sRGB_D65 and D65 exactly as the softdouble bit patterns of color_lab.cpp.
const SRGB2XYZ_D65 = [
  0x3fda65a14488c60dn, 0x3fd6e297396d0918n, 0x3fc71819d2391d58n,
  0x3fcb38cda6e75ff6n, 0x3fe6e297396d0918n, 0x3fb279aae6c8f755n,
  0x3f93cc4ac6cdaf4bn, 0x3fbe836eb4e98138n, 0x3fee68427418d691n,
].map(fromRaw);
const XYZ2SRGB_D65 = [
  0x4009ec804102ff8fn, 0xbff8982a9930be0en, 0xbfdfe7ff583a53b9n,
  0xbfef042528ae74f3n, 0x3ffe040f23897204n, 0x3fa546d3f9e7b80bn,
  0x3fac7de5082cf52cn, 0xbfca1e14bdfd2631n, 0x3ff0eabef06b3786n,
].map(fromRaw);
const D65 = [fromRaw(0x3fee6a22b3892ee8n), 1, fromRaw(0x3ff16b8950763a19n)];

/** cvRound: round half to even (lrint / softfloat round_near_even). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

const bits = new DataView(new ArrayBuffer(8));

/**
 * cv::cbrt(softfloat) as used by initLabTabs: Ken Turkowski's quartic rational approximation (the
 * cubeRoot() of modules/core/src/mathfuncs.cpp) evaluated in binary64 on the mantissa scaled to
 * [0.125, 1), with the binary64 result truncated, not rounded, to binary32. The truncation was
 * established by test, not read from softfloat.cpp: of a correctly rounded cube root, the
 * approximation rounded, and the approximation truncated, only the last reproduces OpenCV 4.6 on all
 * 2^24 LBGR->Lab inputs (the others put 6,848 of the 3 * 2^24 output values 1 too high). x > 0.
 */
function softfloatCbrt(x: number): number {
  bits.setFloat32(0, x);
  const ix = bits.getInt32(0) & 0x7fffffff;
  let ex = (ix >> 23) - 127;
  let shx = ex % 3;
  shx -= shx >= 0 ? 3 : 0;
  ex = (ex - shx) / 3;
  bits.setInt32(0, (ix & ((1 << 23) - 1)) | ((shx + 127) << 23));
  const fr = bits.getFloat32(0);
  bits.setFloat64(
    0,
    ((((45.2548339756803022511987494 * fr + 192.2798368355061050458134625) * fr + 119.1654824285581628956914143) * fr +
      13.43250139086239872172837314) * fr + 0.1636161226585754240958355063) /
    ((((14.80884093219134573786480845 * fr + 151.9714051044435648658557668) * fr + 168.5254414101568283957668343) * fr +
      33.9905941350215598754191872) * fr + 1.0),
  );
  // Big-endian word at offset 4 holds the low 32 of the 52 mantissa bits; binary32 keeps 23 of 52.
  bits.setUint32(4, bits.getUint32(4) & ~((1 << 29) - 1));
  return bits.getFloat64(0) * 2 ** ex;
}

interface LabTables {
  /** RGB2Lab_b coefficients for blueIdx = 0 (applied to src[0], src[1], src[2] in that order). */
  readonly toLab: Int32Array;
  readonly cbrt: Uint16Array;
  /** Lab2RGBinteger coefficients for blueIdx = 0 (rows produce R, G, B). */
  readonly toBgr: Int32Array;
  /** LabToYF_b: interleaved (y, ify) per L. */
  readonly labToYF: Uint16Array;
  /** abToXZ_b, indexed by value - minABvalue. */
  readonly abToXZ: Int32Array;
}

let tables: LabTables | undefined;

function buildTables(): LabTables {
  // RGB2Lab_b constructor: coeffs[i*3 + (blueIdx^2)] = R, [i*3+1] = G, [i*3+blueIdx] = B term.
  const toLab = new Int32Array(9);
  const lshift = 1 << LAB_SHIFT;
  for (let i = 0; i < 3; i++) {
    const c0 = SRGB2XYZ_D65[i * 3]!;
    const c1 = SRGB2XYZ_D65[i * 3 + 1]!;
    const c2 = SRGB2XYZ_D65[i * 3 + 2]!;
    toLab[i * 3 + 2] = roundHalfEven((lshift * c0) / D65[i]!);
    toLab[i * 3 + 1] = roundHalfEven((lshift * c1) / D65[i]!);
    toLab[i * 3 + 0] = roundHalfEven((lshift * c2) / D65[i]!);
  }

  // initLabTabs(): LabCbrtTab_b, in softfloat.
  const lthresh = f(f(216) / f(24389));
  const lscale = f(f(841) / f(108));
  const lbias = f(f(16) / f(116));
  const cbTabScale = f(1 / f(255 * (1 << GAMMA_SHIFT)));
  const lshift2 = f(1 << LAB_SHIFT2);
  const cbrt = new Uint16Array(LAB_CBRT_TAB_SIZE_B);
  for (let i = 0; i < LAB_CBRT_TAB_SIZE_B; i++) {
    const x = f(cbTabScale * i);
    // mulAdd is a fused multiply-add; x*lscale is exact in binary64, so one extra rounding at most.
    const v = x < lthresh ? f(x * lscale + lbias) : softfloatCbrt(x);
    cbrt[i] = roundHalfEven(f(lshift2 * v));
  }

  // Lab2RGBinteger constructor: coeffs[i + blueIdx*3] = R row, [i+3] = G row, [i + (blueIdx^2)*3] = B row.
  const toBgr = new Int32Array(9);
  for (let i = 0; i < 3; i++) {
    const c0 = XYZ2SRGB_D65[i]!;
    const c1 = XYZ2SRGB_D65[i + 3]!;
    const c2 = XYZ2SRGB_D65[i + 6]!;
    toBgr[i] = roundHalfEven(lshift * c0 * D65[i]!);
    toBgr[i + 3] = roundHalfEven(lshift * c1 * D65[i]!);
    toBgr[i + 6] = roundHalfEven(lshift * c2 * D65[i]!);
  }

  // initLabTabs(): LabToYF_b, in softfloat.
  const labToYF = new Uint16Array(512);
  for (let i = 0; i < 256; i++) {
    let y: number;
    let ify: number;
    if (i <= 20) {
      y = roundHalfEven(f(f(i * LUT_BASE * 20 * 9) / f(17 * 29 * 29 * 29)));
      ify = roundHalfEven(f(f(LUT_BASE) * f(f(f(16) / f(116)) + f(f(i * 5) / f(3 * 17 * 29)))));
    } else {
      const fy = f(f(f(i * 100 * LUT_BASE) / f(255 * 116)) + f(f(16 * LUT_BASE) / f(116)));
      ify = roundHalfEven(fy);
      y = roundHalfEven(f(f(f(fy * fy) * fy) / f(LUT_BASE * LUT_BASE)));
    }
    labToYF[i * 2] = y;
    labToYF[i * 2 + 1] = ify;
  }

  // initLUTforABXZ(): C integer arithmetic (division truncates toward zero).
  const n = (LAB_BASE * 9) / 4;
  const abToXZ = new Int32Array(n);
  const bias = Math.trunc((Math.trunc(Math.trunc((LUT_BASE * 16) / 116) * 108) / 841));
  for (let i = MIN_AB_VALUE; i < n + MIN_AB_VALUE; i++) {
    let v: number;
    if (i <= 3390) v = Math.trunc((i * 108) / 841) - bias;
    else v = Math.trunc((Math.trunc((i * i) / LUT_BASE) * i) / LUT_BASE);
    abToXZ[i - MIN_AB_VALUE] = v;
  }
  return { toLab, cbrt, toBgr, labToYF, abToXZ };
}

function getTables(): LabTables {
  return (tables ??= buildTables());
}

/**
 * cvtColor(src, dst, COLOR_LBGR2Lab) for 8-bit 3-channel data: `count` interleaved pixels, src[0]
 * read as B. Output L in [0, 255] (L*255/100), a and b offset by 128.
 */
export function linearBgrToLab(src: Uint8Array, dst: Uint8Array, count: number): void {
  const { toLab, cbrt } = getTables();
  const C0 = toLab[0]!, C1 = toLab[1]!, C2 = toLab[2]!;
  const C3 = toLab[3]!, C4 = toLab[4]!, C5 = toLab[5]!;
  const C6 = toLab[6]!, C7 = toLab[7]!, C8 = toLab[8]!;
  const Lscale = Math.trunc((116 * 255 + 50) / 100);
  const Lshift = -Math.trunc((16 * 255 * (1 << LAB_SHIFT2) + 50) / 100);
  const half1 = 1 << (LAB_SHIFT - 1);
  const half2 = 1 << (LAB_SHIFT2 - 1);
  const abBias = 128 * (1 << LAB_SHIFT2) + half2;
  for (let k = 0, e = count * 3; k < e; k += 3) {
    // linearGammaTab_b[v] = v << gamma_shift
    const R = src[k]! << GAMMA_SHIFT;
    const G = src[k + 1]! << GAMMA_SHIFT;
    const B = src[k + 2]! << GAMMA_SHIFT;
    const fX = cbrt[(R * C0 + G * C1 + B * C2 + half1) >> LAB_SHIFT]!;
    const fY = cbrt[(R * C3 + G * C4 + B * C5 + half1) >> LAB_SHIFT]!;
    const fZ = cbrt[(R * C6 + G * C7 + B * C8 + half1) >> LAB_SHIFT]!;
    const L = (Lscale * fY + Lshift + half2) >> LAB_SHIFT2;
    const a = (500 * (fX - fY) + abBias) >> LAB_SHIFT2;
    const b = (200 * (fY - fZ) + abBias) >> LAB_SHIFT2;
    dst[k] = L < 0 ? 0 : L > 255 ? 255 : L;
    dst[k + 1] = a < 0 ? 0 : a > 255 ? 255 : a;
    dst[k + 2] = b < 0 ? 0 : b > 255 ? 255 : b;
  }
}

/**
 * cvtColor(src, dst, COLOR_Lab2LBGR) for 8-bit 3-channel data (Lab2RGBinteger without gamma):
 * `count` interleaved pixels, dst[0] is B. Linear output tops out at 254 ((4095*255) >> 12).
 */
export function labToLinearBgr(src: Uint8Array, dst: Uint8Array, count: number): void {
  const { toBgr, labToYF, abToXZ } = getTables();
  const C0 = toBgr[0]!, C1 = toBgr[1]!, C2 = toBgr[2]!;
  const C3 = toBgr[3]!, C4 = toBgr[4]!, C5 = toBgr[5]!;
  const C6 = toBgr[6]!, C7 = toBgr[7]!, C8 = toBgr[8]!;
  const aSub = Math.trunc((128 * LUT_BASE) / 500);
  const bSub = Math.trunc((128 * LUT_BASE) / 200) - 1;
  const half = 1 << (LAB2RGB_SHIFT - 1);
  const top = INV_GAMMA_TAB_SIZE - 1;
  for (let k = 0, e = count * 3; k < e; k += 3) {
    const LL = src[k]!;
    const aa = src[k + 1]!;
    const bb = src[k + 2]!;
    const y = labToYF[LL * 2]!;
    const ify = labToYF[LL * 2 + 1]!;
    // OpenCV's fixed-point approximations of a*BASE/500 and b*BASE/200.
    const adiv = ((5 * aa * 53687 + (1 << 7)) >> 13) - aSub;
    const bdiv = ((bb * 41943 + (1 << 4)) >> 9) - bSub;
    const x = abToXZ[ify + adiv - MIN_AB_VALUE]!;
    const z = abToXZ[ify - bdiv - MIN_AB_VALUE]!;
    let ro = (C0 * x + C1 * y + C2 * z + half) >> LAB2RGB_SHIFT;
    let go = (C3 * x + C4 * y + C5 * z + half) >> LAB2RGB_SHIFT;
    let bo = (C6 * x + C7 * y + C8 * z + half) >> LAB2RGB_SHIFT;
    ro = ro < 0 ? 0 : ro > top ? top : ro;
    go = go < 0 ? 0 : go > top ? top : go;
    bo = bo < 0 ? 0 : bo > top ? top : bo;
    dst[k] = ((bo << 8) - bo) >> INV_GAMMA_SHIFT;
    dst[k + 1] = ((go << 8) - go) >> INV_GAMMA_SHIFT;
    dst[k + 2] = ((ro << 8) - ro) >> INV_GAMMA_SHIFT;
  }
}
