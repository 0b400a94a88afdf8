import { storesLabel } from '../runtime/brokers/index.js';
import { Flags } from '@oclif/core';
import { TqCommand } from '../cli/base-command.js';
import { checkBind, parseAuth } from '../runtime/web/auth.js';
import { startWebServer } from '../runtime/web/server.js';

export default class WebCommand extends TqCommand {
  static override description =
    'Serve a live web page of the cluster: workers, queues, tasks, dead letters, the schedule; actions with --auth or --token. Also serves /metrics for Prometheus.';
  static override examples = [
    '<%= config.bin %> web',
    '<%= config.bin %> web --auth admin:s3cret',
    '<%= config.bin %> web --host 0.0.0.0 --token "$(openssl rand -hex 16)" --read-only',
  ];
  static override flags = {
    port: Flags.integer({ char: 'p', description: 'port to listen on (0: any free port)', default: 5555, min: 0, max: 65535 }),
    host: Flags.string({ description: 'address to listen on; anything but loopback needs --auth or --token', default: '127.0.0.1' }),
    auth: Flags.string({ description: 'user:password for HTTP Basic auth (turns actions on)', exclusive: ['token'] }),
    token: Flags.string({ description: 'bearer token every request must carry (turns actions on)', exclusive: ['auth'] }),
    'read-only': Flags.boolean({ description: 'show the cluster, refuse every action' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(WebCommand);
    const auth = parseAuth(flags.auth, flags.token);
    checkBind(flags.host, auth); // before the broker is opened: a refused bind fails at once
    const config = await this.resolveTqConfig(flags);
    const client = await this.openClient(config);
    const web = await startWebServer({ client, config, host: flags.host, port: flags.port, auth, readOnly: flags['read-only'], version: this.config.version });
    const mode = flags['read-only'] ? 'read-only' : auth.mode === 'none' ? 'view-only' : 'actions on';
    this.log(`tq web on ${web.url} · ${storesLabel(client.stores)} · ${auth.mode === 'none' ? 'no auth' : `${auth.mode} auth`} · ${mode}`);
    if (auth.mode === 'none' && !flags['read-only']) this.log('actions (revoke, retry, purge, …) need --auth user:password or --token TOKEN');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await web.close();
  }
}
