// The raw floor of the Mono WCF interop benchmark (internal/bench, BenchmarkMonoWCF): a plain
// WCF client (DuplexChannelFactory over NetTcpBinding(SecurityMode.None), Mono's own channel
// stack) making the calls specgate makes against IpamService.exe, with no model, oracle or
// shrinking. Each iteration is 4 steps: a new session channel with InitializeAsyncSchemaConversion,
// StartAsyncSchemaConversion and the wait for its Complete, then IsSchemaConversionRequired and
// IsIpamConfigured on one long-lived channel; the session channel is then ended (Abort writes
// the End record in Mono; Close waits for an End the Mono server never sends).
//
// Compile with IpamService.cs (it holds the contracts):
//   mcs -main:Specgate.Interop.RawClient -out:RawClient.exe -r:System.ServiceModel.dll \
//       -r:System.Runtime.Serialization.dll RawClient.cs IpamService.cs
// Usage: mono RawClient.exe net.tcp://127.0.0.1:PORT/ipam ITERATIONS
// Prints "steps N elapsed_ms M" (after one warm-up iteration, which is not counted).
using System;
using System.ServiceModel;
using System.Threading;

namespace Specgate.Interop
{
    class RawCallback : IIpamCallback
    {
        public readonly AutoResetEvent Done = new AutoResetEvent(false);
        public void NotifyAsyncSchemaConversionStart() { }
        public void NotifyAsyncSchemaConversionCheckpoint(string[] data) { }
        public void NotifyAsyncSchemaConversionComplete(string result, IpamException exception) { Done.Set(); }
        public void NotifyAsyncProvisionStart() { }
        public void NotifyAsyncProvisionCheckpoint(string[] data) { }
        public void NotifyAsyncProvisionComplete(string result, IpamException exception) { Done.Set(); }
    }

    static class RawClient
    {
        static int Main(string[] args)
        {
            if (args.Length != 2) { Console.Error.WriteLine("usage: RawClient.exe URI ITERATIONS"); return 2; }
            int n = int.Parse(args[1]);
            var cb = new RawCallback();
            var address = new EndpointAddress(args[0]);
            var factory = new DuplexChannelFactory<IIpamAsyncSchemaConversion>(new InstanceContext(cb),
                new NetTcpBinding(SecurityMode.None), address);
            // Mono's client connects in CreateChannel and sends the preamble only on Open, and
            // Mono's listener takes one connection at a time, reading its preamble before the
            // next accept: open the channel before creating another one.
            var query = factory.CreateChannel();
            ((IClientChannel)query).Open();
            Iteration(address, query, cb); // warm-up: JIT, first connections
            var t0 = DateTime.UtcNow;
            for (int i = 0; i < n; i++) Iteration(address, query, cb);
            double ms = (DateTime.UtcNow - t0).TotalMilliseconds;
            ((IClientChannel)query).Abort();
            Console.WriteLine("steps " + (4 * n) + " elapsed_ms " + ms.ToString("F1", System.Globalization.CultureInfo.InvariantCulture));
            return 0;
        }

        // Iteration uses a factory of its own for the session channel: in Mono, aborting a
        // channel disposes its factory.
        static void Iteration(EndpointAddress address, IIpamAsyncSchemaConversion query, RawCallback cb)
        {
            var factory = new DuplexChannelFactory<IIpamAsyncSchemaConversion>(new InstanceContext(cb),
                new NetTcpBinding(SecurityMode.None), address);
            var ch = factory.CreateChannel();
            ch.InitializeAsyncSchemaConversion();
            ch.StartAsyncSchemaConversion();
            if (!cb.Done.WaitOne(10000)) throw new TimeoutException("no Complete within 10 s");
            query.IsSchemaConversionRequired();
            query.IsIpamConfigured();
            ((IClientChannel)ch).Abort();
        }
    }
}
