package dev.balancer;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** balancer: an HTTP load balancer on Spring Cloud Gateway. */
@SpringBootApplication
public class BalancerApplication {

	public static void main(String[] args) {
		SpringApplication.run(BalancerApplication.class, args);
	}

}
