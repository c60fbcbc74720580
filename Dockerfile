# balancer as a container image: built with the Maven wrapper on a JDK 17, run on a Java 25 JRE as a non-root user.
#
#   docker build -t balancer .
#   docker run --rm -p 8080:8080 -p 9901:9901 -v "$PWD/config:/app/config:ro" balancer
#
# The operator's configuration goes to /app/config/application.yml (Spring Boot reads ./config/ from the
# working directory, /app). JVM options: JAVA_OPTS, e.g. -e JAVA_OPTS="-XX:MaxRAMPercentage=50".
# Base images are build arguments, so that a build can use local or mirrored images:
#   docker build --build-arg BUILD_IMAGE=registry.example.com/temurin:17-jdk --build-arg RUNTIME_IMAGE=... .
# The runtime is Java 25: the same load costs it 5-15% less CPU than Java 17 and its ahead-of-time cache starts
# the balancer faster (docs/performance.md). Any JRE from 17 on works as RUNTIME_IMAGE.

ARG BUILD_IMAGE=eclipse-temurin:17-jdk
ARG RUNTIME_IMAGE=eclipse-temurin:25-jre

FROM ${BUILD_IMAGE} AS build
WORKDIR /build
# The wrapper and the POM first: the dependency download is cached until they change.
COPY mvnw pom.xml ./
COPY .mvn .mvn
RUN ./mvnw -B -q dependency:go-offline
COPY src src
# Layers without the launcher: balancer.jar plus lib/, which the JVM's class data sharing can archive.
RUN ./mvnw -B -q -DskipTests package \
    && java -Djarmode=tools -jar target/balancer-*.jar extract --layers --application-filename balancer.jar \
       --destination /layers

FROM ${RUNTIME_IMAGE}
WORKDIR /app
# One image layer per Spring Boot layer, the ones that change least first.
COPY --from=build /layers/dependencies/ ./
COPY --from=build /layers/spring-boot-loader/ ./
COPY --from=build /layers/snapshot-dependencies/ ./
COPY --from=build /layers/application/ ./
# A training run that starts the application once records the classes it loads and links: Java 25 keeps them
# in an ahead-of-time cache, older JVMs in a class data sharing archive; either cuts start-up by a third or more
# (docs/performance.md). jvm.args tells the entrypoint which one to use; a JVM that cannot use it (other heap
# mode, other JVM build) prints a warning and starts without it.
RUN if java -XX:+PrintFlagsFinal -version 2>/dev/null | grep -q AOTCacheOutput; \
    then archive="-XX:AOTCacheOutput=balancer.aot" use="-XX:AOTCache=balancer.aot"; \
    else archive="-XX:ArchiveClassesAtExit=balancer.jsa" use="-XX:SharedArchiveFile=balancer.jsa"; fi \
    && java "$archive" -Dspring.context.exit=onRefresh -jar balancer.jar \
       --balancer.backends[0].url=http://localhost:1 --server.port=0 --management.server.port=0 >/dev/null \
    && echo "$use" > jvm.args
# A numeric user, so that Kubernetes can verify runAsNonRoot without a user database in the image.
USER 10001:10001
EXPOSE 8080 9901
# The heap is 40% of the container's memory limit. Netty's buffers for the bodies in flight may take as much again
# (the JVM's default limit for them is the heap's size), and the rest of the JVM 150-200 MB: metaspace, compiled
# code, the collector's own structures. With 75% of a 512 MiB limit the process grew to 560-630 MB under uploads,
# over the limit (README, "Run in a container").
ENV JAVA_OPTS="-XX:MaxRAMPercentage=40 -XX:+ExitOnOutOfMemoryError"
ENTRYPOINT ["sh", "-c", "exec java @jvm.args $JAVA_OPTS -jar balancer.jar \"$@\"", "balancer"]
