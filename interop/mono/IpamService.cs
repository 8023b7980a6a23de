// An MS-IPAMM2 management server written with WCF (Mono's System.ServiceModel), to run
// specgate's net.tcp binding (internal/nettcp/duplex) against a real WCF stack.
//
// One duplex contract, IIpamAsyncSchemaConversion in http://Microsoft.Windows.Ipam, with
// SessionMode.Required: the schema-conversion and provisioning operations (Initialize
// request/reply, one-way Start) plus the three IIpamServer queries, all with their
// MS-IPAMM2 Appendix A Actions, so that the harness's single-URL layout works; callbacks
// go through OperationContext.Current.GetCallbackChannel on the client's connection, with
// the server-port-type Actions WCF uses (the documented profile, E16).
//
// Endpoints:
//   net.tcp://127.0.0.1:<binary>/ipam  NetTcpBinding(SecurityMode.None): known encoding 0x08
//   net.tcp://127.0.0.1:<text>/ipam    CustomBinding(TextMessageEncoding(Soap12WSAddressing10),
//                                      TcpTransport): known encoding 0x03
//   http://127.0.0.1:<control>/control/{adm,reset}   the control endpoint of
//                                      docs/ipam-soap-binding.md §8 (HttpListener, JSON)
//
// Semantics: the documented profile of fixtures/ipamref (whose engine.go this follows), with
// the ADM global to the process: the pre-operation gate (3.1.4.2) as SOAP faults for the
// request/reply operations; a rejected Start gets only Notify*Complete(exception);
// an accepted one gets Start, the checkpoints, then (after the hold, if set) the final ADM
// update and Complete(nil or the failure).
//
// Usage: mono IpamService.exe --binary PORT --text PORT --control PORT [--checkpoints N]
//                             [--min-threads N] [--max-sessions N] [--broken complete-before-start] [--verbose]
// GET /control/sessions reports the session channels WCF holds open ({"open":N,...}).
// Prints "ready binary=<uri> text=<uri> control=<url>" on stdout once listening.
// --broken complete-before-start sends an accepted session's Complete before its Start
// notification and checkpoints: the harness must catch it.
using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Reflection;
using System.Runtime.Serialization;
using System.ServiceModel;
using System.ServiceModel.Channels;
using System.ServiceModel.Description;
using System.ServiceModel.Dispatcher;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;

namespace Specgate.Interop
{
    static class A
    {
        public const string NS = "http://Microsoft.Windows.Ipam";
        public const string Base = NS + "/";
        public const string Schema = Base + "IIpamAsyncSchemaConversion/";
        public const string Prov = Base + "IIpamAsyncProvision/";
        public const string Server = Base + "IIpamServer/";
    }

    [DataContract(Name = "IpamExceptionData", Namespace = A.NS)]
    public class IpamExceptionData
    {
        [DataMember(Order = 1)] public string ExceptionId;
        [DataMember(Order = 2)] public string ExceptionMessage;
    }

    [DataContract(Name = "IpamException", Namespace = "http://schemas.datacontract.org/2004/07/Microsoft.Windows.Ipam")]
    public class IpamException
    {
        [DataMember(Order = 1)] public IpamExceptionData IpamExceptionData;
        [DataMember(Order = 2, EmitDefaultValue = false)] public IpamException InnerIpamException;

        public static IpamException Make(string id, string msg)
        {
            return new IpamException { IpamExceptionData = new IpamExceptionData { ExceptionId = id, ExceptionMessage = msg } };
        }
    }

    [ServiceContract(Namespace = A.NS)]
    public interface IIpamCallback
    {
        [OperationContract(IsOneWay = true, Action = A.Schema + "NotifyAsyncSchemaConversionStart")]
        void NotifyAsyncSchemaConversionStart();
        [OperationContract(IsOneWay = true, Action = A.Schema + "NotifyAsyncSchemaConversionCheckpoint")]
        void NotifyAsyncSchemaConversionCheckpoint(string[] data);
        [OperationContract(IsOneWay = true, Action = A.Schema + "NotifyAsyncSchemaConversionComplete")]
        void NotifyAsyncSchemaConversionComplete(string result, IpamException exception);

        [OperationContract(IsOneWay = true, Action = A.Prov + "NotifyAsyncProvisionStart")]
        void NotifyAsyncProvisionStart();
        [OperationContract(IsOneWay = true, Action = A.Prov + "NotifyAsyncProvisionCheckpoint")]
        void NotifyAsyncProvisionCheckpoint(string[] data);
        [OperationContract(IsOneWay = true, Action = A.Prov + "NotifyAsyncProvisionComplete")]
        void NotifyAsyncProvisionComplete(string result, IpamException exception);
    }

    [ServiceContract(Namespace = A.NS, Name = "IIpamAsyncSchemaConversion",
        SessionMode = SessionMode.Required, CallbackContract = typeof(IIpamCallback))]
    public interface IIpamAsyncSchemaConversion
    {
        [OperationContract(Action = A.Schema + "InitializeAsyncSchemaConversion", ReplyAction = A.Schema + "InitializeAsyncSchemaConversionResponse")]
        void InitializeAsyncSchemaConversion();
        [OperationContract(IsOneWay = true, Action = A.Schema + "StartAsyncSchemaConversion")]
        void StartAsyncSchemaConversion();

        [OperationContract(Action = A.Prov + "InitializeAsyncProvisioning", ReplyAction = A.Prov + "InitializeAsyncProvisioningResponse")]
        void InitializeAsyncProvisioning();
        [OperationContract(IsOneWay = true, Action = A.Prov + "StartAsyncProvisioning")]
        void StartAsyncProvisioning();

        [OperationContract(Action = A.Server + "IsSchemaConversionRequired", ReplyAction = A.Server + "IsSchemaConversionRequiredResponse")]
        bool IsSchemaConversionRequired();
        [OperationContract(Action = A.Server + "IsSchemaConversionInProgress", ReplyAction = A.Server + "IsSchemaConversionInProgressResponse")]
        bool IsSchemaConversionInProgress();
        [OperationContract(Action = A.Server + "IsIpamConfigured", ReplyAction = A.Server + "IsIpamConfiguredResponse")]
        bool IsIpamConfigured();
    }

    enum Fam { Schema, Provision }
    enum Phase { None, Initialized, Running, Ended }
    enum Kind { Start, Checkpoint, Complete }

    // The ADM variables (MS-IPAMM2 3.1.1.3) and the control endpoint's settings, global to
    // the process, under Adm.Lock.
    static class Adm
    {
        public static readonly object Lock = new object();
        public static bool Configured, Required, ConvInProgress, ProvInProgress;
        public static bool NextConvFails, NextProvFails, Hold;
        public static int Checkpoints;
        public static int Epoch; // bumped by reset: running jobs stop
        public static int DefaultCheckpoints = 1;
        public static bool CompleteBeforeStart;
        public static bool Verbose;

        public static void Reset()
        {
            lock (Lock)
            {
                Configured = true; Required = true; ConvInProgress = false; ProvInProgress = false;
                NextConvFails = false; NextProvFails = false; Hold = false;
                Checkpoints = DefaultCheckpoints;
                Epoch++;
                Monitor.PulseAll(Lock);
            }
        }

        public static void Log(string fmt, params object[] args)
        {
            if (Verbose) Console.Error.WriteLine(DateTime.Now.ToString("HH:mm:ss.fff") + " " + string.Format(fmt, args));
        }

        // 3.1.4.2 steps 3 and 4; null means the operation may run.
        public static IpamException Gate(string port, string op)
        {
            if (!Configured)
            {
                if (port == "IIpamAsyncProvision" || (port == "IIpamServer" && op == "IsIpamConfigured")) return null;
                return IpamException.Make("IpamApiCallsAreNotAllowedUntilProvisioningIsDone", "IPAM configuration has not been completed.");
            }
            if (Required)
            {
                if (port == "IIpamAsyncSchemaConversion") return null;
                if (port == "IIpamServer" && (op == "IsSchemaConversionInProgress" || op == "IsSchemaConversionRequired" || op == "IsIpamConfigured")) return null;
                return IpamException.Make("IpamApiCallsAreNotAllowedUntilSchemaConversionIsDone", "The schema conversion has not been completed.");
            }
            return null;
        }
    }

    class Job
    {
        public Fam Fam;
        public IIpamCallback Cb;
        public IpamService Session;
        public int Epoch;
        public IpamException Reject;
        public bool Fail, Held;
        public int Checkpoints;
    }

    // Sessions reports the session channels each endpoint's WCF dispatcher holds, for the
    // harness's tests: the channels the dispatcher's listener loop counts against
    // ServiceThrottlingBehavior.MaxConcurrentSessions (Mono keeps them in the private list
    // ChannelDispatcher.loop_manager.channels, read here by reflection). A channel leaves the
    // list when it is closed (the client's End record) or faults; one whose client went away
    // without ending it keeps its slot.
    static class Sessions
    {
        public static ServiceHost Host;

        static int Open()
        {
            const BindingFlags F = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
            int n = 0;
            foreach (ChannelDispatcherBase cdb in Host.ChannelDispatchers)
            {
                var cd = cdb as ChannelDispatcher;
                if (cd == null || cd.Listener == null || !cd.Listener.Uri.Scheme.StartsWith("net.tcp")) continue;
                FieldInfo lmf = typeof(ChannelDispatcher).GetField("loop_manager", F);
                object lm = lmf == null ? null : lmf.GetValue(cd);
                if (lm == null) return -1;
                FieldInfo chf = lm.GetType().GetField("channels", F);
                var list = chf == null ? null : chf.GetValue(lm) as System.Collections.ICollection;
                if (list == null) return -1;
                lock (list) n += list.Count;
            }
            return n;
        }

        public static string Json()
        {
            return "{\"open\":" + Open() + ",\"maxConcurrentSessions\":" + Program.MaxSessions + "}";
        }
    }

    [ServiceBehavior(InstanceContextMode = InstanceContextMode.PerSession, ConcurrencyMode = ConcurrencyMode.Multiple)]
    public class IpamService : IIpamAsyncSchemaConversion
    {
        // The session's state (3.11.1.1, 3.15.1.1); under Adm.Lock.
        Fam fam;
        internal Phase phase = Phase.None;

        static FaultException Fault(IpamException x)
        {
            return new FaultException(new FaultReason(x.IpamExceptionData.ExceptionMessage),
                FaultCode.CreateSenderFaultCode(x.IpamExceptionData.ExceptionId, A.NS));
        }

        void Initialize(Fam f, string port)
        {
            lock (Adm.Lock)
            {
                IpamException x = Adm.Gate(port, "");
                Adm.Log("Initialize {0}: {1}", f, x == null ? "ok" : x.IpamExceptionData.ExceptionId);
                if (x != null) throw Fault(x);
                if (phase == Phase.Initialized || phase == Phase.Running)
                {
                    if (fam != f) throw new FaultException("the session belongs to another port type");
                    if (phase == Phase.Running) throw new FaultException("the session has already been started");
                    return;
                }
                fam = f;
                phase = Phase.Initialized;
            }
        }

        public void InitializeAsyncSchemaConversion() { Initialize(Fam.Schema, "IIpamAsyncSchemaConversion"); }
        public void InitializeAsyncProvisioning() { Initialize(Fam.Provision, "IIpamAsyncProvision"); }

        void Start(Fam f)
        {
            IIpamCallback cb = OperationContext.Current.GetCallbackChannel<IIpamCallback>();
            Job j;
            lock (Adm.Lock)
            {
                if (phase == Phase.Running || phase == Phase.Ended || (phase == Phase.Initialized && fam != f))
                {
                    Adm.Log("Start {0} ignored in phase {1}", f, phase);
                    return; // one-way: nothing to answer
                }
                fam = f;
                phase = Phase.Running;
                j = new Job { Fam = f, Cb = cb, Session = this, Epoch = Adm.Epoch };
                if (f == Fam.Schema) StartSchema(j); else StartProvision(j);
                Adm.Log("Start {0}: reject={1} fail={2} held={3}", f,
                    j.Reject == null ? "-" : j.Reject.IpamExceptionData.ExceptionId, j.Fail, j.Held);
            }
            new Thread(() => Run(j)) { IsBackground = true }.Start();
        }

        public void StartAsyncSchemaConversion() { Start(Fam.Schema); }
        public void StartAsyncProvisioning() { Start(Fam.Provision); }

        static void StartSchema(Job j)
        {
            j.Reject = Adm.Gate("IIpamAsyncSchemaConversion", "StartAsyncSchemaConversion");
            if (j.Reject != null) return;
            if (Adm.ConvInProgress) // step 1
            {
                j.Reject = IpamException.Make("IpamSchemaConversionAnotherOperationInProgress", "Another schema conversion is in progress.");
                return;
            }
            Adm.ConvInProgress = true; // step 2
            if (!Adm.Required) // step 3 (documented: the flag is reset, E5)
            {
                Adm.ConvInProgress = false;
                j.Reject = IpamException.Make("IpamSchemaConversionNotRequired", "Schema conversion is not required.");
                return;
            }
            j.Fail = Adm.NextConvFails; // step 4
            Adm.NextConvFails = false;
            Accept(j);
        }

        static void StartProvision(Job j)
        {
            j.Reject = Adm.Gate("IIpamAsyncProvision", "StartAsyncProvisioning");
            if (j.Reject != null) return;
            if (Adm.ProvInProgress)
            {
                j.Reject = IpamException.Make("IpamApiProvisioningAlreadyInProgress", "The provisioning of the IPAM server is already in progress.");
                return;
            }
            Adm.ProvInProgress = true; // documented (E4)
            if (!Adm.Configured)
            {
                j.Fail = Adm.NextProvFails;
                Adm.NextProvFails = false;
            }
            Accept(j);
        }

        static void Accept(Job j)
        {
            j.Held = Adm.Hold;
            j.Checkpoints = Adm.Checkpoints;
        }

        // Run sends the job's callbacks in order: Start and checkpoints, then after the hold
        // the final ADM update and Complete. A reset (epoch change) stops it silently.
        static void Run(Job j)
        {
            try
            {
                if (j.Reject == null && !Adm.CompleteBeforeStart)
                {
                    Send(j, Kind.Start, null);
                    for (int i = 0; i < j.Checkpoints; i++) Send(j, Kind.Checkpoint, null);
                }
                IpamException x;
                lock (Adm.Lock)
                {
                    while (j.Held && Adm.Hold && Adm.Epoch == j.Epoch) Monitor.Wait(Adm.Lock);
                    if (Adm.Epoch != j.Epoch) return;
                    x = Finish(j);
                }
                Send(j, Kind.Complete, x);
                if (j.Reject == null && Adm.CompleteBeforeStart)
                {
                    // The broken variant: the start notification after the Complete.
                    Send(j, Kind.Start, null);
                    for (int i = 0; i < j.Checkpoints; i++) Send(j, Kind.Checkpoint, null);
                }
            }
            catch (Exception e)
            {
                Adm.Log("callback failed: {0}", e.Message);
            }
        }

        static IpamException Finish(Job j)
        {
            j.Session.phase = Phase.Ended;
            if (j.Reject != null) return j.Reject;
            if (j.Fam == Fam.Schema)
            {
                Adm.ConvInProgress = false;
                if (j.Fail)
                {
                    IpamException x = IpamException.Make("IpamSchemaConversionFailed", "The schema conversion failed.");
                    x.InnerIpamException = IpamException.Make("IpamSchemaConversionCouldNotBeDoneForThisVersion", "Injected failure (nextConversionFails).");
                    return x;
                }
                Adm.Required = false;
                return null;
            }
            Adm.ProvInProgress = false;
            if (j.Fail) return IpamException.Make("IpamApiUnabletoProvisionIpam", "Unable to provision IPAM (injected failure, nextProvisioningFails).");
            Adm.Configured = true;
            return null;
        }

        static void Send(Job j, Kind k, IpamException x)
        {
            lock (Adm.Lock) { if (Adm.Epoch != j.Epoch) throw new OperationCanceledException("reset"); }
            Adm.Log("callback {0} {1}", j.Fam, k);
            if (j.Fam == Fam.Schema)
            {
                switch (k)
                {
                    case Kind.Start: j.Cb.NotifyAsyncSchemaConversionStart(); break;
                    case Kind.Checkpoint: j.Cb.NotifyAsyncSchemaConversionCheckpoint(null); break;
                    default: j.Cb.NotifyAsyncSchemaConversionComplete(null, x); break;
                }
                return;
            }
            switch (k)
            {
                case Kind.Start: j.Cb.NotifyAsyncProvisionStart(); break;
                case Kind.Checkpoint: j.Cb.NotifyAsyncProvisionCheckpoint(null); break;
                default: j.Cb.NotifyAsyncProvisionComplete(null, x); break;
            }
        }

        bool Query(string op, Func<bool> value)
        {
            lock (Adm.Lock)
            {
                IpamException x = Adm.Gate("IIpamServer", op);
                Adm.Log("{0}: {1}", op, x == null ? value().ToString() : x.IpamExceptionData.ExceptionId);
                if (x != null) throw Fault(x);
                return value();
            }
        }

        public bool IsSchemaConversionRequired() { return Query("IsSchemaConversionRequired", () => Adm.Required); }
        public bool IsSchemaConversionInProgress() { return Query("IsSchemaConversionInProgress", () => Adm.ConvInProgress); }
        public bool IsIpamConfigured() { return Query("IsIpamConfigured", () => Adm.Configured); }
    }

    // The control endpoint (docs/ipam-soap-binding.md §8): POST /control/reset,
    // GET and POST /control/adm with a flat JSON object.
    static class Control
    {
        public static void Serve(HttpListener l)
        {
            while (true)
            {
                HttpListenerContext c;
                try { c = l.GetContext(); } catch (Exception) { return; }
                ThreadPool.QueueUserWorkItem(_ => Handle(c));
            }
        }

        static void Reply(HttpListenerContext c, int status, string json)
        {
            // Mono's HttpListener answers an unread request body on its own (a stray
            // "200 OK" after ours): drain it first, and do not keep the connection.
            try { c.Request.InputStream.CopyTo(Stream.Null); } catch (Exception) { }
            c.Response.KeepAlive = false;
            c.Response.StatusCode = status;
            if (json != null)
            {
                byte[] b = Encoding.UTF8.GetBytes(json);
                c.Response.ContentType = "application/json";
                c.Response.ContentLength64 = b.Length;
                c.Response.OutputStream.Write(b, 0, b.Length);
            }
            c.Response.Close();
        }

        static string B(bool v) { return v ? "true" : "false"; }

        static void Handle(HttpListenerContext c)
        {
            try
            {
                string path = c.Request.Url.AbsolutePath;
                string method = c.Request.HttpMethod;
                if (path == "/control/reset" && method == "POST")
                {
                    Adm.Reset();
                    Adm.Log("control reset");
                    Reply(c, 204, null);
                    return;
                }
                if (path == "/control/sessions" && method == "GET")
                {
                    Reply(c, 200, Sessions.Json());
                    return;
                }
                if (path != "/control/adm") { Reply(c, 404, "{\"error\":\"not found\"}"); return; }
                if (method == "GET")
                {
                    string doc;
                    lock (Adm.Lock)
                    {
                        doc = "{\"schemaConversionRequired\":" + B(Adm.Required) + ",\"ipamConfigured\":" + B(Adm.Configured) +
                            ",\"nextConversionFails\":" + B(Adm.NextConvFails) + ",\"nextProvisioningFails\":" + B(Adm.NextProvFails) +
                            ",\"checkpoints\":" + Adm.Checkpoints + ",\"hold\":" + B(Adm.Hold) +
                            ",\"schemaConversionInProgress\":" + B(Adm.ConvInProgress) + ",\"provisioningInProgress\":" + B(Adm.ProvInProgress) + "}";
                    }
                    Reply(c, 200, doc);
                    return;
                }
                if (method != "POST") { Reply(c, 405, "{\"error\":\"use GET or POST\"}"); return; }
                string body;
                using (var r = new StreamReader(c.Request.InputStream, Encoding.UTF8)) body = r.ReadToEnd();
                var set = new Dictionary<string, string>();
                foreach (Match m in Regex.Matches(body, "\"(\\w+)\"\\s*:\\s*(true|false|-?\\d+)"))
                    set[m.Groups[1].Value] = m.Groups[2].Value;
                lock (Adm.Lock)
                {
                    foreach (var kv in set)
                    {
                        bool v = kv.Value == "true";
                        switch (kv.Key)
                        {
                            case "schemaConversionRequired": Adm.Required = v; break;
                            case "ipamConfigured": Adm.Configured = v; break;
                            case "nextConversionFails": Adm.NextConvFails = v; break;
                            case "nextProvisioningFails": Adm.NextProvFails = v; break;
                            case "checkpoints": Adm.Checkpoints = int.Parse(kv.Value); break;
                            case "hold": Adm.Hold = v; Monitor.PulseAll(Adm.Lock); break;
                            default:
                                Reply(c, 400, "{\"error\":\"unknown or read-only field " + kv.Key + "\"}");
                                return;
                        }
                    }
                }
                Adm.Log("control adm {0}", body);
                Reply(c, 204, null);
            }
            catch (Exception e)
            {
                Adm.Log("control: {0}", e);
                try { Reply(c, 500, "{\"error\":\"internal\"}"); } catch (Exception) { }
            }
        }
    }

    static class Program
    {
        // MaxSessions is ServiceThrottlingBehavior.MaxConcurrentSessions (--max-sessions).
        public static int MaxSessions = 1000;

        static int Main(string[] args)
        {
            int binary = 0, text = 0, control = 0, minThreads = 200;
            for (int i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--binary": binary = int.Parse(args[++i]); break;
                    case "--text": text = int.Parse(args[++i]); break;
                    case "--control": control = int.Parse(args[++i]); break;
                    case "--checkpoints": Adm.DefaultCheckpoints = int.Parse(args[++i]); break;
                    case "--min-threads": minThreads = int.Parse(args[++i]); break;
                    case "--max-sessions": MaxSessions = int.Parse(args[++i]); break;
                    case "--verbose": Adm.Verbose = true; break;
                    case "--broken":
                        string b = args[++i];
                        if (b != "complete-before-start") { Console.Error.WriteLine("unknown --broken " + b); return 2; }
                        Adm.CompleteBeforeStart = true;
                        break;
                    default: Console.Error.WriteLine("unknown argument " + args[i]); return 2;
                }
            }
            if (binary == 0 || text == 0 || control == 0)
            {
                Console.Error.WriteLine("usage: IpamService.exe --binary PORT --text PORT --control PORT [--checkpoints N] [--min-threads N] [--max-sessions N] [--broken complete-before-start] [--verbose]");
                return 2;
            }
            Adm.Reset();
            // Mono's dispatcher parks one thread-pool worker per open session in its receive
            // loop (Thread.Sleep(50), then a blocking read), and the pool starts with one worker
            // per CPU: with more sessions open than that, accepting a new connection waits for
            // the pool to grow, which was seen to stall for over 10 s (no Preamble Ack). Start
            // with enough workers for the harness's sessions.
            ThreadPool.SetMinThreads(minThreads, minThreads);
            // System.ServiceModel reports some internal errors with Console.WriteLine: send
            // them to stderr with the log; stdout carries only the ready line.
            TextWriter stdout = Console.Out;
            Console.SetOut(Console.Error);

            string binUri = "net.tcp://127.0.0.1:" + binary + "/ipam";
            string textUri = "net.tcp://127.0.0.1:" + text + "/ipam";
            string ctlUrl = "http://127.0.0.1:" + control + "/control";

            var host = new ServiceHost(typeof(IpamService));
            host.AddServiceEndpoint(typeof(IIpamAsyncSchemaConversion), new NetTcpBinding(SecurityMode.None), binUri);
            var textBinding = new CustomBinding(
                new TextMessageEncodingBindingElement(MessageVersion.Soap12WSAddressing10, Encoding.UTF8),
                new TcpTransportBindingElement());
            host.AddServiceEndpoint(typeof(IIpamAsyncSchemaConversion), textBinding, textUri);
            var throttle = host.Description.Behaviors.Find<ServiceThrottlingBehavior>();
            if (throttle == null)
            {
                throttle = new ServiceThrottlingBehavior();
                host.Description.Behaviors.Add(throttle);
            }
            throttle.MaxConcurrentCalls = 1000;
            throttle.MaxConcurrentSessions = MaxSessions;
            throttle.MaxConcurrentInstances = 1000;
            host.Open();
            Sessions.Host = host;

            var listener = new HttpListener();
            listener.Prefixes.Add(ctlUrl + "/");
            listener.Start();
            new Thread(() => Control.Serve(listener)) { IsBackground = true }.Start();

            stdout.WriteLine("ready binary=" + binUri + " text=" + textUri + " control=" + ctlUrl);
            stdout.Flush();
            // Run until stdin closes (the Go test holds it open) or the process is killed.
            try { while (Console.In.ReadLine() != null) { } } catch (Exception) { }
            try { listener.Stop(); host.Abort(); } catch (Exception) { }
            return 0;
        }
    }
}
