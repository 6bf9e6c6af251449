// `npm run build`'s JavaScript: the package bundled into dist/ (scripts/bundle-package.mjs).
import { fileURLToPath } from "node:url";
import { bundlePackage } from "./bundle-package.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
await bundlePackage(root, `${root}dist`);
