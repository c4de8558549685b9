// A TLS listener as a Kafka broker on the JVM sets one up for mutual TLS (ssl.client.auth=required):
// Java's own JSSE, a PKCS12 keystore and truststore, needClientAuth, the protocol named. After the
// handshake it answers one ApiVersions request as a broker does. Run by tests/knock.rs with
// `java JsseBroker.java KEYSTORE TRUSTSTORE PASSWORD PROTOCOL`; prints the port, then serves.
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileInputStream;
import java.net.InetAddress;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public class JsseBroker {
    public static void main(String[] args) throws Exception {
        char[] password = args[2].toCharArray();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(args[0])) { keys.load(in, password); }
        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(args[1])) { trust.load(in, password); }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory()
            .createServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        server.setEnabledProtocols(new String[] {args[3]});
        server.setNeedClientAuth(true);
        System.out.println(server.getLocalPort());
        System.out.flush();
        while (true) {
            SSLSocket socket = (SSLSocket) server.accept();
            new Thread(() -> serve(socket)).start();
        }
    }

    private static void serve(SSLSocket socket) {
        try (socket) {
            socket.setSoTimeout(10000);
            DataInputStream in = new DataInputStream(socket.getInputStream());
            int size = in.readInt();
            byte[] request = new byte[Math.max(0, Math.min(size, 4096))];
            in.readFully(request);
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.writeInt(16);
            out.write(request, 4, 4); // the correlation id
            out.write(new byte[] {0, 0, 0, 0, 0, 1, 0, 18, 0, 0, 0, 3});
            out.flush();
        } catch (Exception refusedOrClosed) {
            // A refused handshake ends here: JSSE has already sent its alert.
        }
    }
}
