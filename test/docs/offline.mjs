// Preloaded (node --import) into every process a doc test starts: a sample may reach this machine only.
// A host name other than localhost fails its DNS look-up, and a connection to an address that is not
// loopback fails before it is made, with a message that says how to mark the block. Nothing leaves the
// machine, not even a DNS query.
import dns from "node:dns";
import net from "node:net";

const HINT = "doc samples run offline: mark the block `<!-- doctest: typecheck-only -->` if it needs another host";

/** Loopback literals, and the one name that maps to them without DNS. */
function isLocal(host) {
  const name = String(host)
    .replace(/^\[|\]$/g, "")
    .toLowerCase();
  if (name === "localhost") return true;
  if (net.isIPv4(name)) return name.startsWith("127.");
  if (net.isIPv6(name)) return name === "::1" || /^::ffff:127\./.test(name);
  return false;
}

function refusal(host) {
  const error = new Error(`${host} is not on this machine (${HINT})`);
  error.code = "ENOTFOUND";
  error.hostname = host;
  return error;
}

const lookup = dns.lookup;
dns.lookup = function guardedLookup(hostname, options, callback) {
  const done = typeof options === "function" ? options : callback;
  if (!isLocal(hostname)) {
    process.nextTick(() => done(refusal(hostname)));
    return {};
  }
  return lookup.call(this, hostname, options, callback);
};
const promisesLookup = dns.promises.lookup;
dns.promises.lookup = async function guardedPromisesLookup(hostname, options) {
  if (!isLocal(hostname)) throw refusal(hostname);
  return promisesLookup.call(this, hostname, options);
};

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const host =
    typeof first === "object" && first !== null ? first.host : typeof args[1] === "string" ? args[1] : undefined;
  const path = typeof first === "object" && first !== null ? first.path : typeof first === "string" ? first : undefined;
  if (path === undefined && host !== undefined && net.isIP(String(host).replace(/^\[|\]$/g, "")) && !isLocal(host)) {
    process.nextTick(() => this.destroy(refusal(host)));
    return this;
  }
  return connect.apply(this, args);
};
