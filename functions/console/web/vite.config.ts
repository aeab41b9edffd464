// Build settings for a page served under a strict Content-Security-Policy
// (`script-src 'self'; style-src 'self'`): no inline scripts or styles, no eval.
import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

export default defineConfig({
  // functions/console serves the page at `/` (and at any extension-less path, e.g. `/board`),
  // and the assets at `/assets/…`: absolute URLs work from every one of those paths.
  base: "/",
  plugins: [preact()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    emptyOutDir: true,
    sourcemap: false,
    // The polyfill would be an inline <script>, which the CSP refuses.
    modulePreload: { polyfill: false },
    // Every asset as a file under 'self'; nothing inlined as data: or into style attributes.
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    target: "es2022",
  },
});
