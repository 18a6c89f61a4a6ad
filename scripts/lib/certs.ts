import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A throwaway certificate authority and node certificates, made with the machine's `openssl`.
 * Node certificates carry serverAuth and clientAuth: the cluster bus is mutual TLS and never
 * joins with serverAuth only.
 */
export interface CertSet {
  dir: string;
  caCert: string;
  caKey: string;
  /** A second CA that signed nothing the cluster uses: for "bad CA" tests. */
  otherCaCert: string;
  /** A client certificate signed by the CA, for mutual-TLS tests. */
  clientCert: string;
  clientKey: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  if (!existsSync(cert)) {
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], dir);
    openssl(
      [
        'req',
        '-x509',
        '-new',
        '-key',
        key,
        '-sha256',
        '-days',
        '3650',
        '-subj',
        `/CN=redis-cluster-tunnel ${name}`,
        '-out',
        cert,
      ],
      dir,
    );
  }
  return { cert, key };
}

/** Issues `name.crt`/`name.key` signed by the CA, for the given IPs and DNS names. */
export function issue(
  set: CertSet,
  name: string,
  ips: string[],
  dnsNames: string[],
): { cert: string; key: string } {
  const key = join(set.dir, `${name}.key`);
  const cert = join(set.dir, `${name}.crt`);
  if (existsSync(cert)) return { cert, key };
  const csr = join(set.dir, `${name}.csr`);
  const ext = join(set.dir, `${name}.ext`);
  const san = [...ips.map((ip) => `IP:${ip}`), ...dnsNames.map((d) => `DNS:${d}`)].join(',');
  writeFileSync(
    ext,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      ...(san ? [`subjectAltName=${san}`] : []),
    ].join('\n') + '\n',
  );
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], set.dir);
  openssl(['req', '-new', '-key', key, '-subj', `/CN=${name}`, '-out', csr], set.dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      set.caCert,
      '-CAkey',
      set.caKey,
      '-CAcreateserial',
      '-days',
      '3650',
      '-sha256',
      '-extfile',
      ext,
      '-out',
      cert,
    ],
    set.dir,
  );
  return { cert, key };
}

export function makeCertSet(dir: string): CertSet {
  mkdirSync(dir, { recursive: true });
  const ca = makeCa(dir, 'ca');
  const other = makeCa(dir, 'other-ca');
  const set: CertSet = {
    dir,
    caCert: ca.cert,
    caKey: ca.key,
    otherCaCert: other.cert,
    clientCert: '',
    clientKey: '',
  };
  const client = issue(set, 'client', [], ['tunnel-client']);
  set.clientCert = client.cert;
  set.clientKey = client.key;
  return set;
}
