// A QR code drawn as SVG (one <path>), from qrcode-generator's module matrix: no canvas, no
// data: URL, no markup strings — nothing the CSP or an injection could trip on. The encoder is
// loaded only when a code is shown (device registration), keeping it out of the first load.

import { useEffect, useState } from "preact/hooks";

interface Matrix {
  size: number;
  d: string;
}

async function encode(text: string): Promise<Matrix> {
  const { default: qrcode } = await import("qrcode-generator");
  const qr = qrcode(0, "M");
  qr.addData(text, "Byte");
  qr.make();
  const n = qr.getModuleCount();
  const quiet = 4;
  let d = "";
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (qr.isDark(r, c)) d += `M${c + quiet} ${r + quiet}h1v1h-1z`;
    }
  }
  return { size: n + quiet * 2, d };
}

export function QrCode({ text, label }: { text: string; label: string }) {
  const [m, setM] = useState<Matrix>();
  useEffect(() => {
    let live = true;
    encode(text)
      .then((x) => live && setM(x))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [text]);
  if (!m) return <div class="qr" aria-hidden="true" />;
  return (
    <svg class="qr" viewBox={`0 0 ${m.size} ${m.size}`} role="img" aria-label={label} data-testid="device-qr" shape-rendering="crispEdges">
      <rect width={m.size} height={m.size} fill="#fff" />
      <path d={m.d} fill="#000" />
    </svg>
  );
}
